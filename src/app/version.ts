import packageJson from '../../package.json' with { type: 'json' };

/** The package version, reported by `--version` and `/api/v1/health`. */
export const VERSION: string = packageJson.version;
