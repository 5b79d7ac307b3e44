using FlowState.Cli;
using FlowState.Conformance;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary><c>flowstate run</c> of a pipeline file from one JetStream stream to another, exactly-once.</summary>
[Collection(SharedNatsServer.Name)]
public sealed class NatsPipelineFileTests(NatsServer server) : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_pipeline_file_counts_a_JetStream_stream_into_another_and_a_second_run_reads_only_new_messages()
    {
        var input = $"IN{Guid.NewGuid():N}";
        var output = $"OUT{Guid.NewGuid():N}";
        await server.CreateStreamAsync(input);
        await server.CreateStreamAsync(output);
        await server.PublishAsync($"{input}.events", 300, 5);
        var file = _directory.File("nats.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: nats-counting
            state:
              backend_type: Memory
              checkpoint_dir: {{_directory.File("checkpoints")}}
              exactly_once: true
            pipeline:
              partitions: 2
              sources:
                - { type: nats, name: events, url: "{{server.Url}}", stream: {{input}}, stop_at_end: true }
              processors:
                - { type: count, name: counts }
              sinks:
                - { type: nats, name: out, url: "{{server.Url}}", subject: {{output}}.counts }
            """);

        var first = await InProcessCli.RunAsync("run", file);
        await server.PublishAsync($"{input}.events", 20, 5, from: 300);
        var second = await InProcessCli.RunAsync("run", file);

        Assert.Equal((0, string.Empty), (first.Code, first.Error));
        Assert.Contains("300 message(s) read", first.Out, StringComparison.Ordinal);
        Assert.Equal((0, string.Empty), (second.Code, second.Error));
        Assert.Contains("(continued from checkpoint 1): 20 message(s) read", second.Out, StringComparison.Ordinal);
        var lines = (await server.ReadAllAsync(output)).Select(m => m.Payload).ToList();
        Assert.Equal(SequenceInput.Model(320, 5), SequenceInput.CheckOutput(lines, 320));
    }

    [Fact]
    public async Task A_sink_with_exactly_once_off_publishes_without_staging()
    {
        var input = $"IN{Guid.NewGuid():N}";
        var output = $"OUT{Guid.NewGuid():N}";
        await server.CreateStreamAsync(input);
        await server.CreateStreamAsync(output);
        await server.PublishAsync($"{input}.events", 100, 4);
        var file = _directory.File("nats-alo.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: nats-at-least-once
            state:
              backend_type: Memory
              checkpoint_dir: {{_directory.File("alo-checkpoints")}}
            pipeline:
              sources:
                - { type: nats, name: events, url: "{{server.Url}}", stream: {{input}}, stop_at_end: true }
              processors:
                - { type: count, name: counts }
              sinks:
                - { type: nats, name: out, url: "{{server.Url}}", subject: {{output}}.counts, exactly_once: false }
            """);

        var run = await InProcessCli.RunAsync("run", file);

        Assert.Equal((0, string.Empty), (run.Code, run.Error));
        var stored = await server.ReadAllAsync(output);
        Assert.Equal(SequenceInput.Model(100, 4), SequenceInput.CheckOutput([.. stored.Select(m => m.Payload)], 100));
        Assert.All(stored, m => Assert.False(m.Headers!.ContainsKey("FlowState-Epoch")));
    }

    [Fact]
    public async Task A_sink_subject_with_a_wildcard_is_refused_with_the_line_it_is_on()
    {
        var file = _directory.File("bad.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: nats-bad
            state:
              backend_type: Memory
              checkpoint_dir: {{_directory.File("bad-checkpoints")}}
            pipeline:
              sources:
                - { type: nats, name: events, url: "{{server.Url}}", stream: S }
              sinks:
                - { type: nats, name: out, url: "{{server.Url}}", subject: "out.*" }
            """);

        var result = await InProcessCli.RunAsync("run", file);

        Assert.Equal(1, result.Code);
        Assert.Contains("line 9", result.Error, StringComparison.Ordinal);
        Assert.Contains("must be a plain subject to publish to", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_with_a_durable_consumer_empties_a_work_queue_stream_as_its_checkpoints_complete_and_a_bad_consumer_name_is_refused()
    {
        var input = $"IN{Guid.NewGuid():N}";
        var output = $"OUT{Guid.NewGuid():N}";
        await server.CreateWorkQueueStreamAsync(input);
        await server.CreateStreamAsync(output);
        await server.PublishAsync($"{input}.events", 150, 5);
        var file = _directory.File("durable.yaml");
        var text = $$"""
            name: nats-durable
            state:
              backend_type: Memory
              checkpoint_dir: {{_directory.File("durable-checkpoints")}}
              exactly_once: true
            pipeline:
              sources:
                - { type: nats, name: events, url: "{{server.Url}}", stream: {{input}}, stop_at_end: true, durable_consumer: counting, ack_wait_seconds: 60 }
              processors:
                - { type: count, name: counts }
              sinks:
                - { type: nats, name: out, url: "{{server.Url}}", subject: {{output}}.counts }
            """;
        await File.WriteAllTextAsync(file, text);

        var run = await InProcessCli.RunAsync("run", file);
        await File.WriteAllTextAsync(file, text.Replace("durable_consumer: counting", "durable_consumer: \"two words\"", StringComparison.Ordinal));
        var refused = await InProcessCli.RunAsync("run", file);

        Assert.Equal((0, string.Empty), (run.Code, run.Error));
        Assert.Equal(SequenceInput.Model(150, 5), SequenceInput.CheckOutput([.. (await server.ReadAllAsync(output)).Select(m => m.Payload)], 150));
        Assert.Equal(0L, (await server.JetStream.GetStreamAsync(input)).Info.State.Messages);
        Assert.Equal(150ul, (await server.JetStream.GetConsumerAsync(input, "counting")).Info.AckFloor!.StreamSeq);
        Assert.Equal(1, refused.Code);
        Assert.Contains("line 8", refused.Error, StringComparison.Ordinal);
        Assert.Contains("'two words' cannot name a durable consumer", refused.Error, StringComparison.Ordinal);
    }
}
