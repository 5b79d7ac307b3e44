// A worker service on FlowState as a .NET team would write it: options from appsettings.json (bound strictly), the
// store opened and closed with the host, a flow per order with Polly retries, a stream pipeline from configuration,
// health checks, logs, and OpenTelemetry traces and metrics. Run it twice: the second run fulfils nothing again and
// the pipeline continues from its last checkpoint.
//   dotnet run --project examples/OrderWorker [-- --Worker:DataDirectory=/tmp/orders --Telemetry:Exporter=console]
using FlowState;
using FlowState.OpenTelemetry;
using FlowState.Sqlite;
using FlowState.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrderWorker;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Relative paths in the settings (the SQLite file, the pipeline's input, output and checkpoints) live in the data directory.
var data = Path.GetFullPath(builder.Configuration["Worker:DataDirectory"] ?? "order-worker-data");
Directory.CreateDirectory(data);
Directory.SetCurrentDirectory(data);
if (!File.Exists("orders.jsonl"))
{
    File.Copy(Path.Combine(AppContext.BaseDirectory, "orders.jsonl"), "orders.jsonl");
}

var flowState = builder.Configuration.GetSection("FlowState");
builder.Services.AddFlowState(f => f.UseSqlite(flowState.GetSection("Sqlite")).BindConfiguration(flowState.GetSection("Store")));
builder.Services.AddStreamPipeline(builder.Configuration.GetSection("Pipelines:order-counts"));
builder.Services.AddSingleton<FlakyCarrier>();
builder.Services.AddHostedService<FulfilmentWorker>();
builder.Services.AddHealthChecks().AddFlowStateHealthChecks().AddStreamPipelineHealthChecks();

var telemetry = builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddFlowStateInstrumentation())
    .WithMetrics(metrics => metrics.AddFlowStateInstrumentation());
switch (builder.Configuration["Telemetry:Exporter"])
{
    case "console":
        telemetry.WithTracing(tracing => tracing.AddConsoleExporter()).WithMetrics(metrics => metrics.AddConsoleExporter());
        break;
    case "otlp":
        telemetry.WithTracing(tracing => tracing.AddOtlpExporter()).WithMetrics(metrics => metrics.AddOtlpExporter());
        break;
}

await builder.Build().RunAsync();
