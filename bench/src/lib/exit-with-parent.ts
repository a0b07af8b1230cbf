/**
 * Preloaded (`node --import`) into the Switchboard processes a bench starts with an IPC channel: when the bench
 * dies without stopping them (SIGKILL, a crash), the channel closes and the server shuts down as on SIGTERM.
 */
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
