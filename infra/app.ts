import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readProject } from '#project/load-project.js';
import { formatProblems } from '#project/problem.js';
import { projectRoot } from './constructs/service-function.js';
import { NudgeStack } from './nudge-stack.js';

// Broken rules or templates stop the synth here, with file and path, before anything ships.
const project = readProject(projectRoot);
if (!project.ok) {
  console.error(`Nudge cannot be deployed; fix these first:\n${formatProblems(project.error)}`);
  process.exit(1);
}
if (project.value.warnings.length > 0) console.warn(`Nudge deploys with these warnings:\n${formatProblems(project.value.warnings)}`);

const app = new App();
// X-Ray tracing of every function (`cdk deploy -c tracing=true`); off by default, see shared/topology.ts.
if (app.node.tryGetContext('tracing') === undefined && process.env.NUDGE_TRACING !== undefined) app.node.setContext('tracing', process.env.NUDGE_TRACING);
const senderAddress: string = app.node.tryGetContext('senderAddress') ?? process.env.NUDGE_SENDER_ADDRESS ?? 'Nudge <hello@example.com>';
const sesIdentity: string = app.node.tryGetContext('sesIdentity') ?? process.env.NUDGE_SES_IDENTITY ?? senderAddress.match(/@([^>\s]+)/)?.[1] ?? 'example.com';
// Alarm notifications by e-mail (`cdk deploy -c alarmEmail=ops@shop.com`); without it, subscribe to the AlarmTopicArn output.
const alarmEmail: string | undefined = app.node.tryGetContext('alarmEmail') ?? process.env.NUDGE_ALARM_EMAIL;

new NudgeStack(app, 'Nudge', {
  description: 'Nudge: event-driven trigger marketing',
  senderAddress,
  sesIdentity,
  alarmEmail,
  project: project.value,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
