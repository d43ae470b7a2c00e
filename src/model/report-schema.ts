import { z } from 'zod';
import { reportSchema } from './report';

/** The report's JSON Schema, published as src/model/report.v1.schema.json (a test keeps them equal). */
export function reportJsonSchema(): object {
  return {
    $id: 'https://skillproof.dev/schemas/report.v1.schema.json',
    title: 'SkillProof grading report, version 1',
    ...z.toJSONSchema(reportSchema, { unrepresentable: 'any' }),
  };
}
