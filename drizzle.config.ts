import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // Each area keeps its tables in its own file: schema.ts (core), schema-<area>.ts (others).
  schema: './src/infrastructure/db/schema*.ts',
  out: './migrations',
});
