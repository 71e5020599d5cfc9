import { useState } from 'react';
import { copyText } from '../lib/download';
import { Icon } from './Icon';

/** A command or secret shown verbatim with a Copy button. */
export function CodeBox({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    if (await copyText(text)) {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    }
  };
  return (
    <div className="codebox">
      <pre>
        <code>{text}</code>
      </pre>
      <button type="button" className="btn btn-sm btn-ghost codebox-copy" onClick={() => void copy()}>
        <Icon name={copied ? 'check' : 'copy'} size={14} />
        {copied ? 'Copied' : label}
      </button>
    </div>
  );
}

/** A long hex digest shortened to its first 16 characters; full value on hover, click copies it. */
export function Fingerprint({ value }: { value: string | null }) {
  const [copied, setCopied] = useState(false);
  if (!value) return <span className="muted">—</span>;
  const copy = async (): Promise<void> => {
    if (!(await copyText(value))) return;
    setCopied(true);
    setTimeout(() => setCopied(false), 1200);
  };
  return (
    <button
      type="button"
      className="fingerprint mono"
      title={`${value}\n(click to copy)`}
      aria-label={`Fingerprint ${value}, copy`}
      onClick={() => void copy()}
    >
      {value.slice(0, 16)}…{copied && <Icon name="check" size={12} />}
    </button>
  );
}
