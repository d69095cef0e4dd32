import { join } from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { functionMemoryMb, lambdaLogging, tracingByDefault } from '#shared/topology.js';

export const projectRoot = join(import.meta.dirname, '..', '..');

export interface ServiceFunctionProps {
  /** The folder under services/, such as "profiles". */
  readonly service: string;
  /** The entry file in that folder; `handler.ts` unless the service has a second function. */
  readonly entry?: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Project folders copied beside the bundle (rules/, templates/), read at cold start. */
  readonly assetFolders?: readonly string[];
  /** For asynchronous invocations: where events go once Lambda's retries are spent. */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** Whether the deployment asked for X-Ray tracing (`cdk deploy -c tracing=true`, or `NUDGE_TRACING=true`). */
export function tracingAsked(scope: Construct): boolean {
  const asked: unknown = scope.node.tryGetContext('tracing');
  return asked === undefined ? tracingByDefault : asked === true || asked === 'true';
}

/**
 * One Nudge service as a Lambda function: arm64, Node.js 24, bundled by esbuild (no Docker),
 * its own log group and a role that can write only there, JSON logs without Lambda's own INFO lines,
 * Powertools metrics under the Nudge namespace, and X-Ray tracing when the deployment asks for it.
 */
export class ServiceFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Nudge ${props.service} service` });
    logGroup.grantWrite(this.role);
    const folders = props.assetFolders ?? [];
    const tracing = tracingAsked(this);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(projectRoot, 'services', props.service, props.entry ?? 'handler.ts'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: functionMemoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat[lambdaLogging.format],
      systemLogLevelV2: lambda.SystemLogLevel[lambdaLogging.systemLevel],
      applicationLogLevelV2: lambda.ApplicationLogLevel[lambdaLogging.applicationLevel],
      // Active tracing: Lambda samples and records each invocation; CDK grants the role the two X-Ray writes.
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.entry ? `${props.service}-${props.entry.replace(/\.ts$/, '')}` : props.service,
        POWERTOOLS_LOG_LEVEL: lambdaLogging.applicationLevel,
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        POWERTOOLS_METRICS_NAMESPACE: 'Nudge',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The SDK is bundled so what runs in Lambda is the version the tests ran.
        externalModules: [],
        // Some bundled CommonJS packages call require(); ESM output needs it defined.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => folders.map((folder) => `cp -R "${inputDir}/${folder}" "${outputDir}/${folder}"`),
        },
      },
    });
    // On the policy itself: the check reports the policy resource, not the role.
    if (tracing)
      Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords, which CDK adds for active tracing, support no resource-level permissions; nothing else in the policy is on "*".',
      });
  }
}
