import { useState } from 'react';
import { destinationSchema, type DestinationConfig, type DestinationTestResult, type DestinationTestStep } from '../../../shared/destination';
import { call } from '../lib/api';
import { TEST_STEP_LABELS, TEST_STEPS, destinationFromDraft, validateDestinationDraft, type DestinationDraft } from '../lib/destination-form';
import { toUiError, type UiError } from '../lib/errors';

type TestState =
  | { state: 'idle' }
  | { state: 'testing' }
  | { state: 'done'; result: DestinationTestResult; testedFor: string }
  | { state: 'failed'; error: UiError; testedFor: string };

/** What a test result was for: the copy's config and the secret as typed (kept in memory only). */
function signatureOf(config: unknown, secret: string): string {
  return JSON.stringify([config, secret]);
}

/**
 * "Test" for one copy of the plan editor: main connects, writes a small object, reads it back
 * and deletes it (destinations/test), and each step shows here with ✓ or ✗, its time and what
 * went wrong. An SFTP server whose host key is not pinned yet shows its SHA-256 fingerprint and
 * "Accept this host key", which pins it into the copy (saved with the plan); a key that differs
 * from the pinned one is refused, never accepted from here.
 */
export function DestinationTest({
  draft,
  planId,
  label,
  onAcceptHostKey,
  noun = 'copy',
  acceptNote = 'Accepted, it is pinned into this copy when you save the plan, and a different key is refused from then on.',
}: {
  draft: DestinationDraft;
  planId: string | undefined;
  /** "copy 1": names the button and the steps for a screen reader */
  label: string;
  onAcceptHostKey(fingerprint: string): void;
  /** what is tested, in the hints: "copy" (the plan editor), "destination" (the catalog rebuild) */
  noun?: string;
  /** what becomes of an accepted host key, under the fingerprint */
  acceptNote?: string;
}) {
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const validation = validateDestinationDraft(draft);
  // the secret field may be left empty (main uses the stored one): only the other fields must be complete
  const incomplete = !validation.ok && Object.keys(validation.errors).some((field) => field !== 'secret');
  const current = signatureOf(destinationFromDraft(draft), draft.secret);

  const run = async (config: DestinationConfig) => {
    const testedFor = signatureOf(destinationFromDraft({ ...draft, hostKey: config.kind === 'sftp' ? (config.hostKey ?? '') : draft.hostKey }), draft.secret);
    setTest({ state: 'testing' });
    try {
      const result = await call('destinations/test', {
        ...(planId ? { planId } : {}),
        destination: config,
        ...(draft.secret ? { secret: draft.secret } : {}),
      });
      setTest({ state: 'done', result, testedFor });
    } catch (e) {
      setTest({ state: 'failed', error: toUiError(e), testedFor });
    }
  };

  const configNow = (): DestinationConfig | null => {
    if (validation.ok) return validation.config;
    // a missing secret is main's to judge: the stored one may be there
    const parsed = destinationSchema.safeParse(destinationFromDraft(draft));
    return parsed.success ? parsed.data : null;
  };

  const accept = (fingerprint: string) => {
    onAcceptHostKey(fingerprint);
    const config = configNow();
    if (config?.kind === 'sftp') void run({ ...config, hostKey: fingerprint });
  };

  const stale = (test.state === 'done' || test.state === 'failed') && test.testedFor !== current;
  const result = test.state === 'done' ? test.result : null;
  const failedStep = result?.steps.find((s) => !s.ok);

  return (
    <div className="dest-test">
      <div className="dest-test-row">
        <button
          type="button"
          aria-label={`Test ${label}`}
          disabled={test.state === 'testing' || incomplete}
          onClick={() => {
            const config = configNow();
            if (config) void run(config);
          }}
        >
          {test.state === 'testing' ? 'Testing…' : 'Test'}
        </button>
        <span className="muted small">
          {incomplete ? `Fill in the fields above to test this ${noun}.` : 'Writes a small object, reads it back and deletes it.'}
        </span>
      </div>
      <div className="dest-test-result" role="status" aria-live="polite" aria-label={`Test result of ${label}`}>
        {stale && <p className="muted small">The {noun} changed since this test: test it again.</p>}
        {test.state === 'failed' && (
          <p className="error-text">
            <span aria-hidden="true">✗ </span>
            {test.error.code && <strong className="banner-code">{test.error.code}</strong>}
            {test.error.message}
          </p>
        )}
        {result && (
          <>
            <p className={result.ok ? 'ok-text' : 'error-text'}>
              <span aria-hidden="true">{result.ok ? '✓ ' : '✗ '}</span>
              {result.ok
                ? 'Connected, wrote a test object, read it back and deleted it.'
                : `The test stopped at “${TEST_STEP_LABELS[failedStep?.step ?? 'connect'].toLowerCase()}”.`}{' '}
              <span className="mono break muted small">{result.url}</span>
            </p>
            <ol className="test-steps" aria-label={`Test steps of ${label}`}>
              {TEST_STEPS.map((name) => {
                const step = result.steps.find((s) => s.step === name);
                const state = step ? (step.ok ? 'passed' : 'failed') : 'not run';
                return (
                  <li key={name} className={`test-step test-step-${state.replace(' ', '-')}`}>
                    <span className="test-step-mark" aria-hidden="true">
                      {step ? (step.ok ? '✓' : '✗') : '–'}
                    </span>
                    <span className="test-step-name">
                      {TEST_STEP_LABELS[name]}
                      <span className="visually-hidden">: {state}</span>
                    </span>
                    <span className="test-step-ms muted num">{step ? `${step.ms} ms` : 'not run'}</span>
                    {step?.message && <span className="test-step-message error-text">{stepMessage(step, result)}</span>}
                  </li>
                );
              })}
            </ol>
            {result.hostKey && <HostKeyOutcome hostKey={result.hostKey} pinned={draft.hostKey} acceptNote={acceptNote} onAccept={accept} />}
          </>
        )}
      </div>
    </div>
  );
}

/** A step's message; a refused host key is said in short here, and in full below the steps. */
function stepMessage(step: DestinationTestStep, result: DestinationTestResult): string {
  if (step.step !== 'connect' || !result.hostKey) return step.message ?? '';
  if (result.hostKey.status === 'unknown') return "Refused: the server's host key is not pinned yet (see below).";
  if (result.hostKey.status === 'changed') return "Refused: the server's host key changed (see below).";
  return step.message ?? '';
}

function HostKeyOutcome({
  hostKey,
  pinned,
  acceptNote,
  onAccept,
}: {
  hostKey: NonNullable<DestinationTestResult['hostKey']>;
  pinned: string;
  acceptNote: string;
  onAccept(fingerprint: string): void;
}) {
  if (hostKey.status === 'pinned') {
    return (
      <p className="ok-text small">
        <span aria-hidden="true">✓ </span>The server's host key matches the pinned one: <span className="mono break">{hostKey.fingerprint}</span>
      </p>
    );
  }
  if (hostKey.status === 'changed') {
    return (
      <div className="banner banner-error host-key-banner" role="alert">
        <div>
          <strong>Refused: the server's host key changed.</strong> Pinned: <span className="mono break">{pinned || '—'}</span>; the server now shows{' '}
          <span className="mono break">{hostKey.fingerprint}</span>. The server was reinstalled, or someone is in between. Ask its administrator
          whether the key changed; only then forget the pinned key above and test again.
        </div>
      </div>
    );
  }
  // unknown: the fingerprint is shown whole, to compare with the administrator's
  if (pinned === hostKey.fingerprint) return null;
  return (
    <div className="banner banner-warn host-key-banner">
      <div className="host-key-unknown">
        <p>
          <strong>This server's host key is not pinned yet.</strong> Its SHA-256 fingerprint:
        </p>
        <p className="mono host-key-fingerprint">{hostKey.fingerprint}</p>
        <p className="small">
          Compare it with what the server's administrator reads on the server (<span className="mono">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</span>).{' '}
          {acceptNote}
        </p>
        <div className="button-row">
          <button type="button" className="button-primary" onClick={() => onAccept(hostKey.fingerprint)}>
            Accept this host key
          </button>
        </div>
      </div>
    </div>
  );
}
