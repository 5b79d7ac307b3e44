namespace FlowState.Tests;

/// <summary>
/// Entries outside a store's tree (a transaction's staged writes, a shared store's reads) are built without the
/// engine's scope node: a read allocates the entry it returns and nothing more.
/// </summary>
public sealed class EntryAllocationTests
{
    // A StateEntry is 80 bytes on 64-bit .NET, all a Release read allocates; a Debug build adds the async state machine
    // (a class there, 104 bytes). A throwaway scope node (its dictionary and counters) was 0.9–2.3 KB on top.
    private const long EntryBytes = 256;
    private const int Reads = 1_000;

    [Fact]
    public async Task A_transaction_s_read_of_a_staged_key_allocates_only_the_entry()
    {
        await using var store = new StateStore();
        var staged = store.BeginTransaction().For(StateScope.Custom("accounts"));
        await staged.SetAsync("alice", 10);
        Assert.Equal(10, (await staged.GetEntryAsync("alice"))!.Deserialize<int>());
        Assert.Equal(StateScope.Custom("accounts"), (await staged.GetEntryAsync("alice"))!.Scope);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Reads; i++)
        {
            var read = staged.GetEntryAsync("alice");
            Assert.True(read.IsCompletedSuccessfully);
        }

        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / Reads;
        Assert.True(perRead <= EntryBytes, $"a staged read allocated {perRead} bytes");
    }

    [Fact]
    public void A_shared_store_s_entry_is_built_without_a_scope_node()
    {
        var scope = StateScope.Workflow("run-1");
        var stored = new BackendEntry(scope.StorageKey, "k", "{\"a\":1}"u8.ToArray(), 7, 0, 0, false);
        var entry = SharedStateEngine.ToEntry(scope, stored);
        Assert.Equal(scope, entry.Scope);
        Assert.Equal(7, entry.Version);
        Assert.Equal("""{"a":1}""", entry.ToString());

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Reads; i++)
        {
            _ = SharedStateEngine.ToEntry(scope, stored);
        }

        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / Reads;
        Assert.True(perRead <= EntryBytes, $"a shared read's entry allocated {perRead} bytes");
    }
}
