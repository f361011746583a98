import { workspaceTests } from '@tcpbalancer/test-kit/vitest-preset';
import { defineConfig } from 'vitest/config';

export default defineConfig(workspaceTests());
