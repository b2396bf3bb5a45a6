"use client";

import { useMutation, useQuery, useQueryClient, type QueryKey, type UseQueryOptions } from "@tanstack/react-query";
import { useState } from "react";

import { invalidate } from "@/lib/queries";
import { statusOf } from "@/lib/problem";

// A type alias, not an interface: it must fit the generated headers' index signature.
export type IfMatch = { "If-Match": string };

/**
 * The `If-Match` for an object as read (from its own GET or from a list): the contract states that
 * an object's `ETag` is its `version` in quotes, so one rule serves every versioned resource.
 */
export function ifMatch(resource: { version: number }): IfMatch {
  return { "If-Match": `"${resource.version}"` };
}

interface VersionedResourceOptions<T extends { version: number }, Body, E, K extends QueryKey> {
  /** The generated query options of the object's GET (`getMeterOptions({ path })`), plus `enabled`. */
  query: UseQueryOptions<T, E, T, K> & { queryKey: K };
  /** Sends changes onto the version in `headers` and answers the new version. */
  update: (body: Body, headers: IfMatch) => Promise<T>;
  /** Deletes the version in `headers`. */
  remove: (headers: IfMatch) => Promise<unknown>;
  /** The other queries (generated keys) a change or a delete moves: lists, figures. */
  affects: () => QueryKey[];
}

/**
 * Read one object, edit it under `If-Match`, survive a `412` (reload, or keep my changes on top of
 * the newer version), delete it: the flow every edit page shares, written once.
 *
 * `save`, `keepMine` and `remove` answer `null` after a 412 (then `stale` is set and the page shows
 * its "changed meanwhile" alert); any other error is thrown for the page to show on its form.
 */
export function useVersionedResource<T extends { version: number }, Body, E = Error, K extends QueryKey = QueryKey>({
  query: queryOptions,
  update,
  remove,
  affects,
}: VersionedResourceOptions<T, Body, E, K>) {
  const queryClient = useQueryClient();
  const query = useQuery({ staleTime: 0, ...queryOptions });
  const [stale, setStale] = useState(false);
  // The changes a 412 refused: "keep mine" sends them again onto the newer version.
  const [refused, setRefused] = useState<Body | null>(null);

  async function saved(data: T): Promise<T> {
    queryClient.setQueryData<T>(queryOptions.queryKey as QueryKey, data);
    await invalidate(queryClient, affects());
    return data;
  }

  function refusedAsStale(error: unknown, body: Body | null): null {
    if (statusOf(error) !== 412) throw error;
    setRefused(body);
    setStale(true);
    return null;
  }

  const saving = useMutation({ mutationFn: ({ body, current }: { body: Body; current: T }) => update(body, ifMatch(current)) });
  const keeping = useMutation({
    mutationFn: async (body: Body) => {
      const current = await query.refetch();
      if (current.isError || !current.data) throw current.error;
      return update(body, ifMatch(current.data));
    },
  });
  const removing = useMutation({ mutationFn: (current: T) => remove(ifMatch(current)) });

  return {
    query,
    stale,
    refused,
    saving: saving.isPending,
    keeping: keeping.isPending,
    removing: removing.isPending,

    /** The form stays disabled until the other version is in: enabling it first would let an
     * edit start on the old values and then be wiped when the new ones arrive. */
    async reload(): Promise<void> {
      const result = await query.refetch();
      if (!result.isError) {
        setStale(false);
        setRefused(null);
      }
    },

    async save(body: Body): Promise<T | null> {
      if (!query.data) return null;
      try {
        return await saved(await saving.mutateAsync({ body, current: query.data }));
      } catch (error) {
        return refusedAsStale(error, body);
      }
    },

    /** Re-applies the refused changes (only the fields this edit changed) onto the current version. */
    async keepMine(): Promise<T | null> {
      if (!refused) return null;
      try {
        const data = await saved(await keeping.mutateAsync(refused));
        setStale(false);
        setRefused(null);
        return data;
      } catch (error) {
        // Changed yet again in between: the alert stays, with the newest version loaded.
        return refusedAsStale(error, refused);
      }
    },

    async remove(): Promise<boolean | null> {
      if (!query.data) return null;
      try {
        await removing.mutateAsync(query.data);
      } catch (error) {
        return refusedAsStale(error, null);
      }
      queryClient.removeQueries({ queryKey: queryOptions.queryKey });
      await invalidate(queryClient, affects());
      return true;
    },
  };
}
