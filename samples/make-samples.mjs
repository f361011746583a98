#!/usr/bin/env node
// Remakes the bundled sample images in samples/in/ (committed; `npm run demo` resizes them).
//
//   node --conditions=source --import tsx samples/make-samples.mjs
//
// (the seeded PRNG, mulberry32, is the test kit's: one fixed seed per image.)
//
// Every pixel comes from a seeded PRNG, so the same sharp/libvips version writes the same
// bytes every run. The set is small (a few hundred KiB) but varied on purpose, so the demo
// goes through the backend's interesting paths:
//   - a baseline JPEG, a progressive 4:4:4 JPEG and a wide panorama JPEG;
//   - a JPEG whose pixels are stored sideways with EXIF orientation 6 (displayed portrait):
//     a backend that ignores orientation produces a sideways result;
//   - a PNG with an alpha channel (soft edges, transparent background);
//   - a lossy WebP;
//   - a tiny PNG that the demo has to enlarge;
//   - files in nested subfolders (the client scans recursively).
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '@tcpbalancer/test-kit';
import sharp from 'sharp';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'in');

const clamp = (v) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
const mix = (a, b, t) => a + (b - a) * t;
/** Sets a pixel's colour channels. */
const setRgb = (px, r, g, b) => {
  px[0] = r;
  px[1] = g;
  px[2] = b;
};
/** Grain: the same offset on the three colour channels. */
const grain = (px, n) => {
  px[0] += n;
  px[1] += n;
  px[2] += n;
};

/** A raw canvas: width × height × channels bytes, with a per-pixel painter. */
function canvas(width, height, channels, paint) {
  const data = Buffer.alloc(width * height * channels);
  const px = new Array(channels).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      paint(x, y, px);
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) data[o + c] = clamp(px[c]);
    }
  }
  return sharp(data, { raw: { width, height, channels } });
}

/** A skyline at dusk: gradient sky, a sun, seeded buildings with lit windows. */
function cityDusk(width, height, seed) {
  const rnd = prng(seed);
  const buildings = [];
  for (let x = 0; x < width; ) {
    const w = 30 + Math.floor(rnd() * 70);
    buildings.push({ x0: x, x1: x + w, top: height * (0.35 + rnd() * 0.45), lit: rnd() });
    x += w + Math.floor(rnd() * 6);
  }
  const colOf = new Int32Array(width).fill(-1);
  buildings.forEach((b, i) => {
    for (let x = b.x0; x < Math.min(b.x1, width); x++) colOf[x] = i;
  });
  const windowLit = prng(seed ^ 0x5eed);
  const lit = new Uint8Array(4096).map(() => (windowLit() < 0.45 ? 1 : 0));
  const noise = prng(seed + 1);
  const sun = { x: width * 0.68, y: height * 0.42, r: height * 0.12 };
  return canvas(width, height, 3, (x, y, px) => {
    const t = y / height;
    setRgb(px, mix(40, 250, t), mix(30, 130, t), mix(90, 80, t));
    const d = Math.hypot(x - sun.x, y - sun.y);
    if (d < sun.r) {
      setRgb(px, 255, 210, 120);
    } else if (d < sun.r * 2.2) {
      const g = 1 - (d - sun.r) / (sun.r * 1.2);
      px[0] += 40 * g;
      px[1] += 50 * g;
    }
    const i = colOf[x];
    const b = i >= 0 ? buildings[i] : undefined;
    if (b && y >= b.top) {
      setRgb(px, 25, 22, 35);
      const wx = (x - b.x0) % 12;
      const wy = Math.floor(y - b.top) % 16;
      if (wx > 3 && wx < 9 && wy > 4 && wy < 11) {
        const k =
          (i * 131 + Math.floor((x - b.x0) / 12) * 17 + Math.floor((y - b.top) / 16)) & 4095;
        if (lit[k] && b.lit > 0.2) {
          setRgb(px, 255, 220, 140);
        }
      }
    }
    const n = (noise() - 0.5) * 10;
    grain(px, n);
  });
}

/** A portrait-shaped picture with an unmistakable "up": an arrow and a ground band. */
function upArrow(width, height, seed) {
  const noise = prng(seed);
  const cx = width / 2;
  return canvas(width, height, 3, (x, y, px) => {
    setRgb(px, 70, 140, 220);
    if (y > height * 0.85) {
      setRgb(px, 60, 150, 60);
    }
    const head =
      y > height * 0.12 && y < height * 0.4 && Math.abs(x - cx) < (y - height * 0.12) * 0.8;
    const shaft = y >= height * 0.4 && y < height * 0.8 && Math.abs(x - cx) < width * 0.08;
    if (head || shaft) {
      setRgb(px, 240, 60, 50);
    }
    const n = (noise() - 0.5) * 8;
    grain(px, n);
  });
}

/** Concentric, angular bands: lots of fine detail, which a progressive JPEG shows off. */
function mandala(size, seed) {
  const rnd = prng(seed);
  const petals = 6 + Math.floor(rnd() * 6);
  const phase = rnd() * Math.PI;
  const c = size / 2;
  return canvas(size, size, 3, (x, y, px) => {
    const dx = x - c;
    const dy = y - c;
    const r = Math.hypot(dx, dy) / c;
    const a = Math.atan2(dy, dx);
    const v = Math.sin(r * 18 + Math.cos(a * petals + phase) * 3);
    const w = Math.cos(a * petals * 2 - r * 9);
    setRgb(px, 128 + 110 * v, 128 + 90 * w * (1 - r * 0.5), 150 + 100 * Math.sin(r * 7 + a));
  });
}

/** Overlapping soft-edged discs on a transparent background (RGBA). */
function badge(size, seed) {
  const rnd = prng(seed);
  const discs = Array.from({ length: 7 }, () => ({
    x: size * (0.2 + rnd() * 0.6),
    y: size * (0.2 + rnd() * 0.6),
    r: size * (0.1 + rnd() * 0.18),
    col: [rnd() * 255, rnd() * 255, rnd() * 255],
  }));
  return canvas(size, size, 4, (x, y, px) => {
    setRgb(px, 0, 0, 0);
    px[3] = 0;
    for (const d of discs) {
      const edge = d.r - Math.hypot(x - d.x, y - d.y);
      if (edge <= -1.5) continue;
      const alpha = Math.min(1, (edge + 1.5) / 3) * 0.85;
      const outA = alpha + (px[3] / 255) * (1 - alpha);
      for (let k = 0; k < 3; k++) {
        px[k] = outA > 0 ? (d.col[k] * alpha + px[k] * (px[3] / 255) * (1 - alpha)) / outA : 0;
      }
      px[3] = outA * 255;
    }
  });
}

/** Interfering sine waves, smooth gradients: what lossy WebP is good at. */
function waves(width, height, seed) {
  const rnd = prng(seed);
  const f = [rnd() * 0.05 + 0.01, rnd() * 0.05 + 0.01, rnd() * 0.03 + 0.005];
  return canvas(width, height, 3, (x, y, px) => {
    const a = Math.sin(x * f[0] + Math.sin(y * f[2]) * 4);
    const b = Math.cos(y * f[1] + x * f[2]);
    setRgb(px, 30 + 60 * (a + 1), 90 + 50 * (b + 1), 140 + 55 * (a * b + 1));
  });
}

/** A wide mountain range: layered ridges from seeded 1-D noise. */
function panorama(width, height, seed) {
  const rnd = prng(seed);
  const layers = [0.45, 0.6, 0.75].map((base, i) => {
    const pts = Array.from({ length: 24 }, () => rnd());
    return { base, amp: 0.18 - i * 0.04, pts, shade: 60 + i * 45 };
  });
  const ridge = (l, x) => {
    const p = (x / width) * (l.pts.length - 1);
    const i = Math.floor(p);
    const t = p - i;
    const s = t * t * (3 - 2 * t);
    return (l.base - l.amp * mix(l.pts[i] ?? 0, l.pts[i + 1] ?? 0, s)) * height;
  };
  const noise = prng(seed + 7);
  return canvas(width, height, 3, (x, y, px) => {
    setRgb(px, mix(150, 235, y / height), mix(190, 215, y / height), 245);
    for (const l of layers) {
      if (y >= ridge(l, x)) {
        setRgb(px, l.shade * 0.6, l.shade * 0.8, l.shade);
      }
    }
    const n = (noise() - 0.5) * 6;
    grain(px, n);
  });
}

/** A small pixel-art checker, to be enlarged by the demo. */
function tinyIcon(size, seed) {
  const rnd = prng(seed);
  const cells = Array.from({ length: 64 }, () => [rnd() * 255, rnd() * 255, rnd() * 255]);
  return canvas(size, size, 3, (x, y, px) => {
    const cell = cells[Math.floor((y / size) * 8) * 8 + Math.floor((x / size) * 8)] ?? [0, 0, 0];
    setRgb(px, cell[0], cell[1], cell[2]);
  });
}

const SAMPLES = [
  ['city-dusk.jpg', () => cityDusk(960, 640, 1).jpeg({ quality: 82 })],
  [
    // Stored 640×480 (landscape) with orientation 6 = "rotate 90° clockwise to display":
    // shown upright as a 480×640 portrait with the arrow pointing up.
    'portrait-exif-6.jpg',
    async () =>
      sharp(await upArrow(480, 640, 2).png().toBuffer())
        .rotate(270)
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 85 }),
  ],
  [
    'mandala-progressive.jpg',
    () => mandala(720, 3).jpeg({ quality: 80, progressive: true, chromaSubsampling: '4:4:4' }),
  ],
  ['badge-alpha.png', () => badge(512, 4).png({ compressionLevel: 9 })],
  ['waves.webp', () => waves(800, 500, 5).webp({ quality: 78 })],
  ['nested/tiny-icon.png', () => tinyIcon(96, 6).png({ palette: true })],
  ['nested/deeper/panorama.jpg', () => panorama(1400, 350, 7).jpeg({ quality: 80 })],
];

await rm(OUT, { recursive: true, force: true });
let total = 0;
for (const [name, make] of SAMPLES) {
  const file = join(OUT, name);
  await mkdir(dirname(file), { recursive: true });
  const info = await (await make()).toFile(file);
  const { size } = await stat(file);
  total += size;
  const shown = relative(process.cwd(), file);
  console.log(
    `${shown.padEnd(44)} ${`${info.width}x${info.height}`.padEnd(10)} ${info.format.padEnd(5)} ${(size / 1024).toFixed(1).padStart(6)} KiB`,
  );
}
console.log(`${SAMPLES.length} images, ${(total / 1024).toFixed(1)} KiB in all`);
