using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    [Fact]
    public virtual async Task Set_then_get_returns_an_equal_value()
    {
        var store = NewStore();
        var order = new Order { Id = "o-1", Total = 12.5m, Items = ["a", "b"], ShipTo = new Address("Oslo", "0150") };

        await store.SetAsync("order", order);
        var read = await store.GetAsync<Order>("order");

        Assert.NotNull(read);
        Assert.Equal("o-1", read.Id);
        Assert.Equal(12.5m, read.Total);
        Assert.Equal(["a", "b"], read.Items);
        Assert.Equal(new Address("Oslo", "0150"), read.ShipTo);
    }

    [Fact]
    public virtual async Task Missing_key_is_a_miss_not_an_error()
    {
        var store = NewStore();

        Assert.Null(await store.GetAsync<Order>("nope"));
        Assert.Equal(0, await store.GetAsync<int>("nope"));
        Assert.Null(await store.GetEntryAsync("nope"));
        Assert.False(await store.ExistsAsync("nope"));
        Assert.Equal((false, 0), await store.TryGetAsync<int>("nope"));
    }

    [Fact]
    public virtual async Task Stored_null_is_found_by_try_get()
    {
        var store = NewStore();
        await store.SetAsync<string?>("maybe", null);

        var (found, value) = await store.TryGetAsync<string>("maybe");

        Assert.True(found);
        Assert.Null(value);
        Assert.True(await store.ExistsAsync("maybe"));
    }

    [Fact]
    public virtual async Task Mutating_an_object_after_set_never_changes_stored_state()
    {
        var store = NewStore();
        var order = new Order { Id = "o-1", Items = ["a"] };
        await store.SetAsync("order", order);

        order.Items.Add("b");
        order.Id = "changed";
        var batch = store.CreateBatch().Set("order2", order);
        order.Items.Add("c");
        await store.ApplyAsync(batch);

        Assert.Equal(["a"], (await store.GetAsync<Order>("order"))!.Items);
        Assert.Equal("o-1", (await store.GetAsync<Order>("order"))!.Id);
        Assert.Equal(["a", "b"], (await store.GetAsync<Order>("order2"))!.Items);
    }

    [Fact]
    public virtual async Task Raw_entry_has_utf8_json_version_and_expiry()
    {
        var store = NewStore();
        var version = await store.SetAsync("k", new { a = 1 }, StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(5)));

        var entry = await store.GetEntryAsync("k");

        Assert.NotNull(entry);
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(entry.Value.Span));
        Assert.Equal(version, entry.Version);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromMinutes(5), entry.ExpiresAt);
        Assert.Equal(1, entry.ToJsonElement().GetProperty("a").GetInt32());
        Assert.Equal("k", entry.Key);
    }

    [Fact]
    public virtual async Task Set_raw_json_is_stored_as_given()
    {
        var store = NewStore();
        await store.SetRawAsync("k", """{"x":[1,2,{"y":null}]}"""u8.ToArray());

        Assert.Equal("""{"x":[1,2,{"y":null}]}""", Json(await store.GetEntryAsync("k")));
    }

    [Fact]
    public virtual async Task Typed_access_with_source_generated_metadata_round_trips()
    {
        var store = NewStore();
        await store.SetAsync("c", new Counter(7), TestJsonContext.Default.Counter);

        Assert.Equal(new Counter(7), await store.GetAsync("c", TestJsonContext.Default.Counter));
        Assert.Equal(new Counter(7), await store.GetAsync<Counter>("c"));
    }

    [Fact]
    public virtual async Task Value_of_the_wrong_type_is_a_typed_error_not_a_miss()
    {
        var store = NewStore();
        await store.SetAsync("name", "alice");

        var ex = await Assert.ThrowsAsync<StateTypeException>(async () => await store.GetAsync<int>("name"));
        Assert.Contains("name", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StateTypeException>(async () => await store.GetAsync("name", TestJsonContext.Default.Counter));
        Assert.Equal("alice", await store.GetAsync<string>("name"));
    }

    [Fact]
    public virtual async Task Every_write_gets_a_higher_version()
    {
        var store = NewStore();
        var v1 = await store.SetAsync("a", 1);
        var v2 = await store.SetAsync("b", 1);
        var v3 = await store.SetAsync("a", 2);
        await store.DeleteAsync("a");
        var v4 = await store.SetAsync("a", 3);

        Assert.True(v1 < v2 && v2 < v3 && v3 < v4);
        Assert.Equal(v4, (await store.GetEntryAsync("a"))!.Version);
        Assert.Equal(v4, store.CurrentVersion);
    }

    [Fact]
    public virtual async Task Write_with_the_expected_version_succeeds()
    {
        var store = NewStore();
        var v1 = await store.SetAsync("k", "one", StateWriteOptions.IfVersion(0));
        var v2 = await store.SetAsync("k", "two", StateWriteOptions.IfVersion(v1));

        Assert.True(v2 > v1);
        Assert.Equal("two", await store.GetAsync<string>("k"));
    }

    [Fact]
    public virtual async Task Version_mismatch_is_a_conflict_and_writes_nothing()
    {
        var store = NewStore();
        var v1 = await store.SetAsync("k", "one");

        var ex = await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("k", "two", StateWriteOptions.IfVersion(v1 + 100)));
        Assert.Contains("'k'", ex.Message, StringComparison.Ordinal);
        Assert.Equal((StateScope.Global, "k", v1 + 100, v1), (ex.Scope, ex.Key, ex.ExpectedVersion, ex.ActualVersion));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("k", "two", StateWriteOptions.IfVersion(0)));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.MergeAsync("k", new { a = 1 }, StateWriteOptions.IfVersion(v1 + 1)));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.DeleteAsync("k", StateWriteOptions.IfVersion(v1 + 1)));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SetAsync("absent", 1, StateWriteOptions.IfVersion(5)));

        var entry = await store.GetEntryAsync("k");
        Assert.Equal("\"one\"", Json(entry));
        Assert.Equal(v1, entry!.Version);
        Assert.False(await store.ExistsAsync("absent"));
        Assert.Equal(v1, store.CurrentVersion);
    }

    [Fact]
    public virtual async Task Delete_reports_whether_the_key_existed()
    {
        var store = NewStore();
        await store.SetAsync("k", 1);

        Assert.True(await store.DeleteAsync("k"));
        Assert.False(await store.DeleteAsync("k"));
        Assert.False(await store.ExistsAsync("k"));
    }

    // RFC 7386 appendix A, every example.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public virtual async Task Merge_follows_rfc_7386(string target, string patch, string expected)
    {
        var store = NewStore();
        await store.SetRawAsync("doc", Encoding.UTF8.GetBytes(target));

        await store.MergeAsync("doc", JsonDocument.Parse(patch).RootElement);

        var actual = JsonNode.Parse((await store.GetEntryAsync("doc"))!.Value.Span);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");
    }

    [Fact]
    public virtual async Task Merge_with_null_deletes_the_field()
    {
        var store = NewStore();
        await store.SetAsync("user", new { name = "ann", email = "a@x", prefs = new { theme = "dark", lang = "en" } });

        await store.MergeAsync("user", JsonNode.Parse("""{"email":null,"prefs":{"lang":"de"}}"""));

        Assert.Equal("""{"name":"ann","prefs":{"theme":"dark","lang":"de"}}""", Json(await store.GetEntryAsync("user")));
    }

    [Fact]
    public virtual async Task Merge_into_a_missing_key_creates_it()
    {
        var store = NewStore();
        await store.MergeAsync("new", new { a = 1 });

        Assert.Equal("""{"a":1}""", Json(await store.GetEntryAsync("new")));
    }

    [Fact]
    public virtual async Task Update_is_an_atomic_read_modify_write()
    {
        var store = NewStore();
        const int writers = 4, increments = 500;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < increments; i++)
            {
                await store.UpdateAsync<int>("counter", c => c + 1);
            }
        })));

        Assert.Equal(writers * increments, await store.GetAsync<int>("counter"));
    }

    [Fact]
    public virtual async Task Update_returns_the_written_value_and_honours_an_expected_version()
    {
        var store = NewStore();
        Assert.Equal(1, await store.UpdateAsync<int>("n", c => c + 1));
        var version = (await store.GetEntryAsync("n"))!.Version;

        await Assert.ThrowsAsync<StateConflictException>(async () => await store.UpdateAsync<int>("n", c => c + 1, StateWriteOptions.IfVersion(version + 1)));
        Assert.Equal(2, await store.UpdateAsync<int>("n", c => c + 1, StateWriteOptions.IfVersion(version)));
    }

    [Fact]
    public virtual async Task Update_whose_function_throws_writes_nothing()
    {
        var store = NewStore();
        await store.SetAsync("n", 5);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpdateAsync<int>("n", _ => throw new InvalidOperationException("no")));
        Assert.Equal(5, await store.GetAsync<int>("n"));
    }

    [Fact]
    public virtual async Task Batch_commits_all_operations_with_one_version()
    {
        var store = NewStore();
        await store.SetAsync("gone", 1);
        await store.SetAsync("doc", new { a = 1 });

        var batch = store.CreateBatch()
            .Set("x", 1)
            .Set("y", "two")
            .Delete("gone")
            .Merge("doc", new { b = 2 });
        batch.Scope("child").Set("z", true);
        var version = await store.ApplyAsync(batch);

        Assert.Equal(1, await store.GetAsync<int>("x"));
        Assert.Equal("two", await store.GetAsync<string>("y"));
        Assert.False(await store.ExistsAsync("gone"));
        Assert.Equal("""{"a":1,"b":2}""", Json(await store.GetEntryAsync("doc")));
        Assert.True(await store.Scope("child").GetAsync<bool>("z"));
        Assert.Equal(version, (await store.GetEntryAsync("x"))!.Version);
        Assert.Equal(version, (await store.Scope("child").GetEntryAsync("z"))!.Version);
    }

    [Fact]
    public virtual async Task Batch_with_a_failing_operation_writes_nothing()
    {
        var store = NewStore();
        var v = await store.SetAsync("guard", 1);
        await store.SetAsync("keep", "old");

        var conflicting = store.CreateBatch().Set("keep", "new").Set("other", 1).RequireVersion("guard", v + 1);
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.ApplyAsync(conflicting));

        var tooDeep = store.CreateBatch().Set("keep", "new").SetRaw("deep", Encoding.UTF8.GetBytes(new string('[', 70) + new string(']', 70)));
        await Assert.ThrowsAsync<StateLimitExceededException>(async () => await store.ApplyAsync(tooDeep));

        var badJson = store.CreateBatch().Set("keep", "new").SetRaw("bad", "{\"a\":"u8);
        await Assert.ThrowsAsync<StateValueException>(async () => await store.ApplyAsync(badJson));

        Assert.Equal("old", await store.GetAsync<string>("keep"));
        Assert.False(await store.ExistsAsync("other"));
        Assert.False(await store.ExistsAsync("deep"));
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public virtual async Task Batch_operations_on_one_key_apply_in_order()
    {
        var store = NewStore();
        await store.SetAsync("k", new { a = 1 });

        await store.ApplyAsync(store.CreateBatch().Delete("k").Merge("k", new { b = 2 }).Merge("k", new { c = 3 }));
        await store.ApplyAsync(store.CreateBatch().Set("tmp", 1).Delete("tmp"));

        Assert.Equal("""{"b":2,"c":3}""", Json(await store.GetEntryAsync("k")));
        Assert.False(await store.ExistsAsync("tmp"));
    }

    [Fact]
    public virtual async Task Batch_check_of_a_key_written_earlier_in_the_batch_sees_the_batch_version()
    {
        var store = NewStore();
        var next = store.CurrentVersion + 1;

        await store.ApplyAsync(store.CreateBatch().Set("k", 1).RequireVersion("k", next));

        Assert.Equal(next, (await store.GetEntryAsync("k"))!.Version);
    }

    [Fact]
    public virtual async Task Values_that_cannot_be_json_are_typed_errors()
    {
        var store = NewStore();
        var cyclic = new Node();
        cyclic.Next = cyclic;

        await Assert.ThrowsAnyAsync<StateException>(async () => await store.SetAsync("cycle", cyclic));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetAsync("nan", double.NaN));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("empty", ReadOnlyMemory<byte>.Empty));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("two", "1 2"u8.ToArray()));
        await Assert.ThrowsAsync<StateValueException>(async () => await store.SetRawAsync("utf8", new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"' }));
        Assert.Equal(0, await store.CountAsync());
    }

    private sealed class Node
    {
        public Node? Next { get; set; }
    }
}
