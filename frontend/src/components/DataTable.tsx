"use client";

import type { ReactNode } from "react";

/**
 * One column of a DataTable. On wide screens every column is a table column; on a phone each row
 * becomes a card: the `title` column heads it, `actions` sit at its foot, `hidden` columns are left
 * out, and every other column is a "header: value" line.
 */
export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  align?: "left" | "right";
  /** Where the column goes on a phone's card (default: a labelled line). */
  card?: "title" | "line" | "actions" | "hidden";
  /** The header is read by screen readers only (an actions column). */
  headerHidden?: boolean;
  /** A secondary column left out of the table below the `lg` breakpoint (still on the cards). */
  wideOnly?: boolean;
  /** Extra classes for this column's table cells (e.g. truncation). */
  cellClassName?: string;
}

export interface DataTableProps<T> {
  /** Names the table and the card list for assistive technology. */
  caption: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  /** Inside a Card already (panels): no frame of its own, rows in line with the card's text. */
  bare?: boolean;
  /** Marks a row (the one being edited) for assistive technology and the eye. */
  isCurrent?: (row: T) => boolean;
}

function cx(...classes: Array<string | false | null | undefined>): string {
  return classes.filter(Boolean).join(" ");
}

/**
 * The list of every list page: a table from the `md` breakpoint up, a list of cards below it, so
 * no column (quantity, cost, actions, balance) ends up off-screen on a phone. Only one of the two
 * is displayed at a time, so assistive technology meets each row once.
 */
export function DataTable<T>({ caption, rows, columns, rowKey, bare = false, isCurrent }: DataTableProps<T>) {
  const pad = bare ? "py-2 pr-4 last:pr-0" : "px-4 py-3";
  const titleColumn = columns.find((column) => column.card === "title");
  const lineColumns = columns.filter((column) => (column.card ?? "line") === "line");
  const actionColumns = columns.filter((column) => column.card === "actions");
  return (
    <>
      {/* `relative`: the visually hidden header text is positioned inside the scroll box, never beside the page. */}
      <div
        className={cx(
          "relative hidden overflow-x-auto md:block",
          !bare && "rounded-2xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900",
        )}
      >
        <table className="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
          <caption className="sr-only">{caption}</caption>
          <thead
            className={cx(
              "text-left text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400",
              !bare && "bg-slate-50 dark:bg-slate-900/60",
            )}
          >
            <tr>
              {columns.map((column) => (
                <th key={column.key} scope="col" className={cx(pad, column.align === "right" && "text-right", column.wideOnly && "hidden lg:table-cell")}>
                  {column.headerHidden ? <span className="sr-only">{column.header}</span> : column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {rows.map((row) => (
              <tr
                key={rowKey(row)}
                aria-current={isCurrent?.(row) ? "true" : undefined}
                className={cx(!bare && "hover:bg-slate-50 dark:hover:bg-slate-800/40", isCurrent?.(row) && "bg-emerald-50/60 dark:bg-emerald-950/40")}
              >
                {columns.map((column) => (
                  <td
                    key={column.key}
                    className={cx(
                      pad,
                      column.cellClassName ?? "whitespace-nowrap",
                      column.align === "right" && "text-right tabular-nums",
                      column.card === "title" && "font-medium",
                      column.wideOnly && "hidden lg:table-cell",
                    )}
                  >
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <ul aria-label={caption} className={cx("space-y-3 md:hidden", bare && "-mx-1")}>
        {rows.map((row) => (
          <li
            key={rowKey(row)}
            aria-current={isCurrent?.(row) ? "true" : undefined}
            className={cx(
              "rounded-xl border p-4 text-sm",
              isCurrent?.(row)
                ? "border-emerald-400 bg-emerald-50/60 dark:border-emerald-700 dark:bg-emerald-950/40"
                : "border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900",
            )}
          >
            {titleColumn && <div className="mb-2 font-semibold">{titleColumn.cell(row)}</div>}
            {lineColumns.length > 0 && (
              <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1">
                {lineColumns.map((column) => (
                  <div key={column.key} className="contents">
                    <dt className="text-slate-600 dark:text-slate-400">{column.header}</dt>
                    <dd className="min-w-0 break-words text-right tabular-nums">{column.cell(row)}</dd>
                  </div>
                ))}
              </dl>
            )}
            {actionColumns.length > 0 && (
              <div className="mt-3 flex flex-wrap justify-end gap-2 border-t border-slate-100 pt-3 dark:border-slate-800">
                {actionColumns.map((column) => (
                  <div key={column.key} className="flex flex-wrap gap-2">
                    {column.cell(row)}
                  </div>
                ))}
              </div>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The look of the text links and buttons in a list's actions column. */
export const rowActionClass = {
  edit: "inline-block rounded px-2 py-1 font-medium text-emerald-700 hover:bg-emerald-50 focus-visible:outline-2 focus-visible:outline-emerald-600 dark:text-emerald-400 dark:hover:bg-emerald-950",
  danger:
    "inline-block rounded px-2 py-1 font-medium text-rose-700 hover:bg-rose-50 focus-visible:outline-2 focus-visible:outline-rose-600 dark:text-rose-400 dark:hover:bg-rose-950",
} as const;
