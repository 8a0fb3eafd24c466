import type { BuildOptions } from 'esbuild';

export declare const webBuildOptions: Readonly<BuildOptions>;
