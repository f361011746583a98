/**
 * Every backend test file spawns real backends through the kit: whatever a file started is
 * killed when that file ends, so no file leaves a process (or its port) behind for the next.
 */
import { afterAll } from 'vitest';
import { killAll } from './helpers.js';

afterAll(killAll);
