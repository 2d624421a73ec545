import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createStatisticsRepository, type StatisticsRepository } from '../repositories/statistics.js';
import { createStatisticsService, type StatisticsService } from '../services/statistics.js';

declare module 'fastify' {
  interface FastifyInstance {
    statistics: StatisticsService;
    statisticsRepo: StatisticsRepository;
    statisticsConfig: { suppressionThreshold: number };
  }
}

export interface StatisticsPluginOptions {
  suppressionThreshold: number;
}

/** The statistics service on the app's database (read replica when configured). */
export default fp(
  async function statistics(app: FastifyInstance, opts: StatisticsPluginOptions) {
    const repo = createStatisticsRepository(app.database);
    app.decorate('statistics', createStatisticsService(repo));
    app.decorate('statisticsConfig', { suppressionThreshold: opts.suppressionThreshold });
    app.decorate('statisticsRepo', repo);
  },
  { name: 'statistics', dependencies: ['database'] },
);
