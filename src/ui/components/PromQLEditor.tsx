import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  completionStatus,
} from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, insertNewline } from "@codemirror/commands";
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { lintKeymap } from "@codemirror/lint";
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, highlightSpecialChars, keymap, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { PromQLExtension } from "@prometheus-io/codemirror-promql";
import { type ReactNode, useEffect, useRef } from "react";

const highlight = HighlightStyle.define([
  { tag: tags.number, color: "#009E73" },
  { tag: tags.string, color: "#D55E00" },
  { tag: tags.keyword, color: "#CC79A7", fontWeight: "600" },
  { tag: tags.function(tags.variableName), color: "#0072B2" },
  { tag: tags.labelName, color: "#E69F00" },
  { tag: tags.operator, color: "#999999" },
  { tag: tags.modifier, color: "#CC79A7" },
  { tag: tags.comment, color: "#999999", fontStyle: "italic" },
  { tag: tags.invalid, color: "#D55E00", textDecoration: "underline wavy" },
]);

/** One PromQL language extension per page, completing from this server's API. */
function promqlExtension(): PromQLExtension {
  return new PromQLExtension().activateLinter(true).setComplete({
    remote: {
      url: window.location.origin,
      httpMethod: "GET",
      lookbackInterval: 12 * 60 * 60 * 1000,
      cache: { maxAge: 5 * 60 * 1000 },
    },
    maxMetricsMetadata: 10_000,
  });
}

/** Props of {@link PromQLEditor}. */
export interface PromQLEditorProps {
  value: string;
  onChange: (v: string) => void;
  /** Enter (without Shift) runs the query. */
  onExecute: () => void;
  autoFocus?: boolean;
}

/**
 * The query editor: CodeMirror with codemirror-promql (syntax, lint, and completion of metric,
 * label and function names from our /api/v1/labels, /label/__name__/values, /series and
 * /metadata). Enter runs, Shift+Enter inserts a newline.
 */
export function PromQLEditor(props: PromQLEditorProps): ReactNode {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  // biome-ignore lint/correctness/useExhaustiveDependencies: created once; later values flow through refs
  useEffect(() => {
    const ext = promqlExtension();
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.value,
        extensions: [
          highlightSpecialChars(),
          history(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          autocompletion({ activateOnTyping: true }),
          syntaxHighlighting(highlight),
          placeholder("Expression (press Shift+Enter for newlines)"),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({
            "aria-label": "PromQL expression",
            "data-testid": "promql-input",
          }),
          ext.asExtension(),
          Prec.highest(
            keymap.of([
              {
                key: "Enter",
                run: (v) => {
                  if (completionStatus(v.state) === "active") return false;
                  latest.current.onExecute();
                  return true;
                },
              },
              { key: "Shift-Enter", run: insertNewline },
            ]),
          ),
          keymap.of([
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...historyKeymap,
            ...completionKeymap,
            ...lintKeymap,
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    if (props.autoFocus) v.focus();
    return () => {
      v.destroy();
      ext.destroy();
    };
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div className="editor" ref={host} />;
}
