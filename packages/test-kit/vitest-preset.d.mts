import type { UserConfig } from 'vitest/config';

/** `config` with the `source` export condition for client and server resolution. */
export declare function withSourceConditions(config: UserConfig): UserConfig;

/** Tests in `src/**` and `test/**`, 30 s per test, 15 s per hook, source conditions; `test` over those. */
export declare function workspaceTests(test?: UserConfig['test']): UserConfig;
