namespace FlowState.Testing;

/// <summary>Every entry of a store as "scope path + key" → (JSON, version), for comparing a store with another or with itself later.</summary>
internal static class StoreSnapshot
{
    public static async Task<Dictionary<string, (string Json, long Version)>> TakeAsync(StateStore store)
    {
        var snapshot = new Dictionary<string, (string Json, long Version)>(StringComparer.Ordinal);
        await foreach (var key in store.ListAllAsync())
        {
            var entry = await store.For(key.Scope).GetEntryAsync(key.Key);
            snapshot[key.ToString()] = (entry!.ToString(), entry.Version);
        }

        return snapshot;
    }

    /// <summary>Every entry as "scope path + key" → JSON, without versions (for stores whose writes renumbered them, as a restore does).</summary>
    public static async Task<Dictionary<string, string>> TakeValuesAsync(StateStore store) =>
        (await TakeAsync(store)).ToDictionary(entry => entry.Key, entry => entry.Value.Json, StringComparer.Ordinal);
}
