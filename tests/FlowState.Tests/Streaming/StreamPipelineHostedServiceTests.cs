using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace FlowState.Tests.Streaming;

public sealed class StreamPipelineHostedServiceTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_hosted_pipeline_runs_again_after_a_failure_and_its_output_is_exact()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 3000, 7);
        var failsOnce = new FailsOnceProcessor("pass", afterMessages: 1500);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStreamPipeline(
            _ => new StreamPipelineBuilder("hosted")
                .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
                .AddProcessor(failsOnce)
                .AddProcessor(new CountByKeyProcessor("counts"))
                .AddSink(new JsonLinesFileSink("out", _directory.File("out")))
                .WithPartitions(2)
                .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")), TimeSpan.FromMilliseconds(20))
                .Configure(o =>
                {
                    o.ExactlyOnce = true;
                    o.BatchSize = 50;
                })
                .Build(),
            o => o.RestartDelay = TimeSpan.FromMilliseconds(10));
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();

        await host.StartAsync();
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromMinutes(1));
        await host.StopAsync();

        Assert.Equal(1, service.Restarts);
        Assert.Equal(SequenceInput.Model(3000, 7), await SequenceInput.CheckOutputAsync(_directory.File("out"), 3000));
    }

    [Fact]
    public async Task Stopping_the_host_stops_a_pipeline_that_waits_for_input()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 10, 2);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStreamPipeline(_ => new StreamPipelineBuilder("follows")
            .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key", Follow = true })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .Build());
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();

        await host.StartAsync();
        await PipelineProgress.WaitUntilReadAsync(service.Pipeline, 10);
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(service.Result);
        Assert.Equal(0, service.Restarts);
    }

    [Fact]
    public async Task A_pipeline_that_keeps_failing_is_given_up_after_its_restarts_and_reported_unhealthy()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 100, 5);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStreamPipeline(
            _ => new StreamPipelineBuilder("broken")
                .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key" })
                .AddProcessor(new AlwaysFailsProcessor("fails"))
                .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")), TimeSpan.FromHours(1))
                .Build(),
            o =>
            {
                o.MaxRestarts = 2;
                o.RestartDelay = TimeSpan.FromMilliseconds(1);
            });
        builder.Services.AddHealthChecks().AddStreamPipelineHealthChecks();
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();

        await host.StartAsync();
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromMinutes(1));
        var health = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["flowstate-pipelines"];
        await host.StopAsync();

        Assert.Equal(StreamPipelineHostStatus.Failed, service.Status);
        Assert.Equal(2, service.Restarts);
        Assert.Contains("the processor is broken", service.Failure!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.StartsWith("broken: gave up after 2 restarts", health.Description, StringComparison.Ordinal);
        Assert.Equal("Failed", health.Data["broken.status"]);
    }

    [Fact]
    public async Task A_running_pipeline_whose_last_checkpoint_is_too_old_is_unhealthy()
    {
        SequenceInput.Write(_directory.File("in.jsonl"), 10, 2);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStreamPipeline(
            _ => new StreamPipelineBuilder("stalled")
                .AddSource(new JsonLinesFileSource("in", _directory.File("in.jsonl")) { KeyField = "key", Follow = true })
                .AddProcessor(new CountByKeyProcessor("counts"))
                .WithCheckpoints(new DirectoryCheckpointStorage(_directory.File("checkpoints")), TimeSpan.FromHours(1))
                .Build(),
            o => o.TimeProvider = clock);
        builder.Services.AddHealthChecks().AddStreamPipelineHealthChecks(configure: o => o.MaxCheckpointAge = TimeSpan.FromMinutes(1));
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        await host.StartAsync();
        await PipelineProgress.WaitUntilReadAsync(service.Pipeline, 10);
        var fresh = (await health.CheckHealthAsync()).Entries["flowstate-pipelines"];
        clock.Advance(TimeSpan.FromMinutes(2));
        var stale = (await health.CheckHealthAsync()).Entries["flowstate-pipelines"];
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, fresh.Status);
        Assert.Equal(HealthStatus.Unhealthy, stale.Status);
        Assert.Contains("stalled: running, but its last checkpoint is 120 s old (more than 60 s)", stale.Description, StringComparison.Ordinal);
        Assert.Equal(StreamPipelineHostStatus.Stopped, service.Status);
    }

    private sealed class AlwaysFailsProcessor(string name) : IProcessor
    {
        public string Name { get; } = name;

        public ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the processor is broken");
    }

    private sealed class FailsOnceProcessor(string name, long afterMessages) : IProcessor
    {
        private long _seen;
        private int _failed;

        public string Name { get; } = name;

        public ValueTask<IReadOnlyList<StreamMessage>> ProcessAsync(IReadOnlyList<StreamMessage> messages, ProcessorContext context, CancellationToken cancellationToken)
        {
            if (Interlocked.Add(ref _seen, messages.Count) > afterMessages && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                throw new InvalidOperationException("injected failure, once");
            }

            return ValueTask.FromResult(messages);
        }
    }
}
