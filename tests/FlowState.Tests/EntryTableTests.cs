namespace FlowState.Tests;

/// <summary>
/// A scope's entry table: one writer at a time (the store's write lock), readers without a lock that never miss a key
/// that stays in the table while others come and go, and the table grows, cleans its tombstones and shrinks.
/// </summary>
public sealed class EntryTableTests
{
    private static readonly StateScope Scope = StateScope.Custom("table");

    [Fact]
    public void Set_replaces_a_key_s_entry_and_returns_the_one_it_replaced()
    {
        var table = new EntryTable();
        var first = Entry("k", 1);
        var second = Entry("k", 2);

        Assert.Null(table.Set(first));
        Assert.Same(first, table.Set(second));

        Assert.True(table.TryGetValue("k", out var found));
        Assert.Same(second, found);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Removing_an_entry_that_was_replaced_leaves_its_successor()
    {
        var table = new EntryTable();
        var old = Entry("k", 1);
        table.Set(old);
        var current = Entry("k", 2);
        table.Set(current);

        Assert.False(table.TryRemove(old));
        Assert.True(table.TryGetValue("k", out var found));
        Assert.Same(current, found);

        Assert.True(table.TryRemove(current));
        Assert.False(table.TryGetValue("k", out _));
        Assert.True(table.IsEmpty);
    }

    [Fact]
    public void Keys_removed_and_added_again_through_growth_and_cleaning_are_all_found()
    {
        var table = new EntryTable();
        var expected = new Dictionary<string, StateEntry>(StringComparer.Ordinal);
        var random = new Random(7);
        for (var i = 0; i < 50_000; i++)
        {
            var key = $"key-{random.Next(3_000)}";
            if (random.Next(3) == 0)
            {
                Assert.Equal(expected.Remove(key, out var removed), table.TryRemove(key, out var tableRemoved));
                Assert.Same(removed, tableRemoved);
            }
            else
            {
                var entry = Entry(key, i);
                expected.TryGetValue(key, out var previous);
                Assert.Same(previous, table.Set(entry));
                expected[key] = entry;
            }
        }

        Assert.Equal(expected.Count, table.Count);
        foreach (var (key, entry) in expected)
        {
            Assert.True(table.TryGetValue(key, out var found), key);
            Assert.Same(entry, found);
        }

        for (var i = 0; i < 3_000; i++)
        {
            Assert.Equal(expected.ContainsKey($"key-{i}"), table.TryGetValue($"key-{i}", out _));
        }

        Assert.Equal(expected.Values.OrderBy(e => e.Key, StringComparer.Ordinal), table.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void A_table_emptied_after_growing_is_rebuilt_small_and_keeps_working()
    {
        var table = new EntryTable();
        for (var i = 0; i < 10_000; i++)
        {
            table.Set(Entry($"k{i}", i));
        }

        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(table.TryRemove($"k{i}", out _));
        }

        Assert.True(table.IsEmpty);
        Assert.Empty(table);
        for (var i = 0; i < 100; i++)
        {
            table.Set(Entry($"again{i}", i));
        }

        Assert.Equal(100, table.Count);
        Assert.All(Enumerable.Range(0, 100), i => Assert.True(table.TryGetValue($"again{i}", out _)));
        Assert.False(table.TryGetValue("k5", out _));
    }

    [Fact]
    public void A_reserved_table_takes_its_capacity_and_more()
    {
        var table = new EntryTable();
        table.Reserve(5_000);
        for (var i = 0; i < 6_000; i++)
        {
            Assert.Null(table.Set(Entry($"k{i}", i)));
        }

        Assert.Equal(6_000, table.Count);
        Assert.All(Enumerable.Range(0, 6_000), i => Assert.True(table.TryGetValue($"k{i}", out _)));
    }

    [Fact]
    public async Task Readers_never_miss_a_key_that_stays_while_a_writer_churns_others()
    {
        const int Readers = 2;
        const long PassesWanted = 20_000;
        var table = new EntryTable();
        var stable = Enumerable.Range(0, 16).Select(i => Entry($"stable-{i}", i)).ToArray();
        foreach (var entry in stable)
        {
            table.Set(entry);
        }

        var writing = true;
        var started = new CountdownEvent(Readers);
        var misses = 0L;
        var enumerationsWrong = 0L;
        var passes = 0L;
        var readers = Enumerable.Range(0, Readers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                started.Signal();
                while (Volatile.Read(ref writing))
                {
                    foreach (var entry in stable)
                    {
                        if (!table.TryGetValue(entry.Key, out var found) || !ReferenceEquals(found, entry))
                        {
                            Interlocked.Increment(ref misses);
                        }
                    }

                    // Every key that stays is seen exactly once by an enumeration that runs while the table changes.
                    var seen = 0;
                    foreach (var entry in table)
                    {
                        if (entry.Key.StartsWith("stable-", StringComparison.Ordinal))
                        {
                            seen++;
                        }
                    }

                    if (seen != stable.Length)
                    {
                        Interlocked.Increment(ref enumerationsWrong);
                    }

                    Interlocked.Increment(ref passes);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        var writer = Task.Factory.StartNew(
            () =>
            {
                Assert.True(started.Wait(TimeSpan.FromMinutes(1)), "the readers did not start");
                var next = 0L;
                for (var round = 0; round < 1_000 && (round < 2 || Interlocked.Read(ref passes) < PassesWanted); round++)
                {
                    // A sliding window of keys: tombstones pile up and the table is cleaned at the same size.
                    for (var i = 0; i < 20_000; i++, next++)
                    {
                        table.Set(Entry($"churn-{next}", next));
                        table.TryRemove($"churn-{next - 40}", out _);
                    }

                    // Growth to thousands of keys and shrinking back.
                    for (var i = 0; i < 5_000; i++)
                    {
                        table.Set(Entry($"grow-{i}", i));
                    }

                    for (var i = 0; i < 5_000; i++)
                    {
                        table.TryRemove($"grow-{i}", out _);
                    }
                }

                for (var i = next - 40; i < next; i++)
                {
                    table.TryRemove($"churn-{i}", out _);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        try
        {
            await writer.WaitAsync(TimeSpan.FromMinutes(3));
        }
        finally
        {
            Volatile.Write(ref writing, false);
        }

        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(Interlocked.Read(ref passes) >= PassesWanted, $"the readers made {passes} passes while the table changed");
        Assert.Equal(0, Interlocked.Read(ref misses));
        Assert.Equal(0, Interlocked.Read(ref enumerationsWrong));
        Assert.Equal(stable.Length, table.Count);
    }

    private static StateEntry Entry(string key, long version) => new(Scope, key, key.Length, "1"u8.ToArray(), version, 0, 0, false);
}
