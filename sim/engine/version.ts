/** The simulator's version, recorded in every summary (kept equal to package.json by a test). */
export const SIM_VERSION = '0.4.0';
