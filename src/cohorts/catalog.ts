import type { Catalog } from '../catalog/load';

/** What cohorts read of the catalog: assessments (title, tasks) and task titles. */
export interface CohortCatalog {
  assessment(id: string): { id: string; title: string; tasks: string[] } | undefined;
  assessmentIds(): string[];
  taskTitle(id: string): string | undefined;
}

export function cohortCatalog(catalog: Catalog): CohortCatalog {
  return {
    assessment: (id) => {
      if (catalog.has(id) !== 'assessment') return undefined;
      const a = catalog.assessment(id);
      return { id: a.id, title: a.title, tasks: [...a.tasks] };
    },
    assessmentIds: () => catalog.assessments().map((a) => a.id),
    taskTitle: (id) => (catalog.has(id) === 'task' ? catalog.get(id).task.title : undefined),
  };
}
