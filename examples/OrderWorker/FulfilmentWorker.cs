using System.Text.Json;
using FlowState;
using FlowState.Flows;
using FlowState.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderWorker;

/// <summary>
/// Runs the fulfilment flow once per order not fulfilled yet (a durable run each: an order whose run was cut short by a
/// crash resumes where it stopped), waits for the pipeline to reach the end of its input, reports the app's health,
/// and stops the app when told to.
/// </summary>
internal sealed partial class FulfilmentWorker(
    StateStore store,
    FlowRunner runner,
    FlakyCarrier carrier,
    IServiceProvider services,
    HealthCheckService health,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<FulfilmentWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var flow = new FlowBuilder("fulfil")
            .Sequence(
                Node.Create("reserve", async (state, _) =>
                {
                    var order = await state.GetAsync<Order>("order");
                    await state.SetAsync("reserved", order!.Total);
                    return null;
                }),
                new ShipNode(carrier))
            .Build();

        var fulfilled = store.Scope("fulfilled");
        int fresh = 0, earlier = 0;
        foreach (var line in await File.ReadAllLinesAsync("orders.jsonl", stoppingToken))
        {
            var order = JsonSerializer.Deserialize<Order>(line)!;
            if (await fulfilled.ExistsAsync(order.Id, stoppingToken))
            {
                earlier++;
                continue;
            }

            var runId = $"fulfil-{order.Id}";
            var result = await runner.GetRunAsync(runId, stoppingToken) is { Status: FlowRunStatus.Failed or FlowRunStatus.Running }
                ? await runner.ResumeAsync(flow, runId, cancellationToken: stoppingToken)
                : await runner.RunAsync(flow, new { order }, new FlowRunOptions { RunId = runId }, stoppingToken);
            LogFulfilled(order.Id, result.Steps);
            fresh++;
        }

        Console.WriteLine($"fulfilled {fresh} new orders ({earlier} fulfilled by earlier runs); carrier calls: {carrier.Calls}");

        // Asked for now, not injected: the worker is one of the host's services itself.
        var pipeline = services.GetServices<IHostedService>().OfType<StreamPipelineHostedService>().Single();
        await pipeline.ExecuteTask!.WaitAsync(stoppingToken);
        var statistics = await pipeline.Pipeline.GetStatisticsAsync(stoppingToken);
        Console.WriteLine($"pipeline {pipeline.Pipeline.Name}: {pipeline.Status}, {statistics.MessagesRead} orders read this run, last checkpoint {statistics.LastCheckpointId}");

        var report = await health.CheckHealthAsync(stoppingToken);
        Console.WriteLine($"health: {report.Status} ({string.Join(", ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status}"))})");

        if (configuration.GetValue("Worker:StopWhenDone", true))
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} fulfilled in {Steps} steps.")]
    private partial void LogFulfilled(string orderId, long steps);
}
