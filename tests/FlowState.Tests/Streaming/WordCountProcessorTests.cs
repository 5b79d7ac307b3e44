using System.Text.Json;
using FlowState.Streaming;

namespace FlowState.Tests.Streaming;

/// <summary>The word count's processors: what each message becomes.</summary>
public sealed class WordCountProcessorTests
{
    private static readonly DateTimeOffset Time = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Tokenize_makes_one_lower_case_message_per_word_with_ids_per_line()
    {
        await using var store = new StateStore();
        var context = Context(store.For(StateScope.Custom("tokenize")), "words");
        var lines = new[]
        {
            StreamMessage.Create(null, "The cat's HAT, 'quoted' words", id: "text@0", timestamp: Time),
            StreamMessage.Create(null, "déjà Vu  42", id: "text@30", timestamp: Time),
            StreamMessage.Create(null, new { other = 1 }, id: "text@45", timestamp: Time),
        };

        var words = await new TokenizeProcessor("words").ProcessAsync(lines, context, CancellationToken.None);

        Assert.Equal(["the", "cat's", "hat", "quoted", "words", "déjà", "vu", "42"], words.Select(w => w.Key));
        Assert.Equal(words.Select(w => w.Key), words.Select(w => w.Value.GetString()));
        Assert.Equal(["text@0#0", "text@0#1", "text@0#2", "text@0#3", "text@0#4", "text@30#0", "text@30#1", "text@30#2"], words.Select(w => w.Id));
        Assert.All(words, w => Assert.Equal(Time, w.Timestamp));
    }

    [Fact]
    public async Task Tokenize_of_a_large_batch_keeps_every_word_and_its_value_in_order()
    {
        // Far more than one parsed array of values holds (about 32 KiB), so values come from several documents.
        await using var store = new StateStore();
        var context = Context(store.For(StateScope.Custom("tokenize")), "words");
        var lines = Enumerable.Range(0, 2000)
            .Select(line => StreamMessage.Create(null, string.Join(' ', Enumerable.Range(0, 10).Select(w => $"word{line}x{w}")), id: $"t@{line}"))
            .ToArray();

        var words = await new TokenizeProcessor("words").ProcessAsync(lines, context, CancellationToken.None);

        Assert.Equal(20_000, words.Count);
        Assert.Equal(Enumerable.Range(0, 2000).SelectMany(line => Enumerable.Range(0, 10).Select(w => $"word{line}x{w}")), words.Select(w => w.Value.GetString()));
        Assert.Equal(words.Select(w => w.Key), words.Select(w => w.Value.GetString()));
    }

    [Fact]
    public async Task Tokenize_of_a_batch_without_words_is_empty()
    {
        await using var store = new StateStore();
        var context = Context(store.For(StateScope.Custom("tokenize")), "words");

        var words = await new TokenizeProcessor("words") { MinimumLength = 4 }.ProcessAsync([StreamMessage.Create(null, "a bb ccc", id: "t@0")], context, CancellationToken.None);

        Assert.Empty(words);
    }

    [Fact]
    public async Task Count_by_key_continues_from_the_stored_counts_and_emits_each_update()
    {
        await using var store = new StateStore();
        var state = store.For(StateScope.Custom("counts"));
        await state.SetAsync("cat", 41L);
        var context = Context(state, "counts");
        var messages = new[] { "cat", "dog", "cat" }.Select((w, i) => StreamMessage.Create(w, w, id: $"w#{i}", timestamp: Time)).ToArray();

        var updates = await new CountByKeyProcessor("counts").ProcessAsync(messages, context, CancellationToken.None);

        Assert.Equal(
            [("cat", 42L, "w#0"), ("dog", 1L, "w#1"), ("cat", 43L, "w#2")],
            updates.Select(u => (u.Value.GetProperty("key").GetString(), u.Value.GetProperty("count").GetInt64(), u.Value.GetProperty("id").GetString())));
        Assert.Equal(["cat", "dog", "cat"], updates.Select(u => u.Key));
        Assert.Equal(["w#0", "w#1", "w#2"], updates.Select(u => u.Id));
        Assert.Equal(43L, await state.GetAsync<long>("cat"));
        Assert.Equal(1L, await state.GetAsync<long>("dog"));
        Assert.Equal("""{"key":"cat","count":42,"id":"w#0"}""", JsonSerializer.Serialize(updates[0].Value));
    }

    private static ProcessorContext Context(IStateStore state, string processor) => new("word-count", processor, 0, 1, state, state);
}
