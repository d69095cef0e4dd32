import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { assertProjectValid } from '../cli/validate-project.js';
import { projectRoot } from './constructs/service-function.js';
import { NudgeStack } from './nudge-stack.js';

// Broken rules or templates stop the synth here, with file and path, before anything ships.
try {
  assertProjectValid(projectRoot);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const app = new App();
const senderAddress: string = app.node.tryGetContext('senderAddress') ?? process.env.NUDGE_SENDER_ADDRESS ?? 'Nudge <hello@example.com>';
const sesIdentity: string = app.node.tryGetContext('sesIdentity') ?? process.env.NUDGE_SES_IDENTITY ?? senderAddress.match(/@([^>\s]+)/)?.[1] ?? 'example.com';

new NudgeStack(app, 'Nudge', {
  description: 'Nudge: event-driven trigger marketing',
  senderAddress,
  sesIdentity,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
