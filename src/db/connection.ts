/** The mongoose connection: strict queries and filter sanitizing on, indexes built on start. */
import mongoose from 'mongoose';

mongoose.set('strictQuery', true);
mongoose.set('sanitizeFilter', true);

export async function connectDatabase(uri: string): Promise<typeof mongoose> {
  return mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000, autoIndex: true });
}

export async function pingDatabase(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  await db.admin().ping();
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}
