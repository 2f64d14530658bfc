// Moved to @geoedge/linux (the one native package): this re-export keeps
// existing imports working. New code imports from '@geoedge/linux' directly.
export { loadLibc, errnoName, type Libc } from '@geoedge/linux';
