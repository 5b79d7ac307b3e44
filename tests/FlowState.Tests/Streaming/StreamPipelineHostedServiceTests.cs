using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (service.Result is null)
        {
            await Task.Delay(10, timeout.Token);
        }

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
