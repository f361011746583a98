#!/usr/bin/env node
// The tcpbalancer-proxy command: committed, never built, so that npm links it at `npm ci`
// (see @tcpbalancer/cli's launch.mjs).
import { launch } from '@tcpbalancer/cli/launch';

await launch('tcpbalancer-proxy', import.meta.url);
