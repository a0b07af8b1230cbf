/** ISO-8601 time, the one time format in storage and responses. */
export const isoNow = () => new Date().toISOString();
export const isoIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
