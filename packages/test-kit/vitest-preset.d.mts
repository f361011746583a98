import type { UserConfig } from 'vitest/config';

/** `config` with the `source` export condition for client and server resolution. */
export declare function withSourceConditions(config: UserConfig): UserConfig;
