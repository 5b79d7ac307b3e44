using FlowState;
using FlowState.Flows;
using Polly;

namespace OrderWorker;

/// <summary>Books the shipment (retried with back-off and jitter when the carrier times out) and marks the order fulfilled.</summary>
internal sealed class ShipNode : Node<Order, string>
{
    private readonly FlakyCarrier _carrier;

    public ShipNode(FlakyCarrier carrier)
        : base("ship")
    {
        _carrier = carrier;
        MaxRetries = 3;
        RetryDelay = TimeSpan.FromMilliseconds(100);
        RetryBackoff = DelayBackoffType.Exponential;
        RetryJitter = true;
        RetryOn = ex => ex is TimeoutException;
    }

    protected override async ValueTask<Order> PrepAsync(IStateReader state, PrepContext context, CancellationToken cancellationToken) =>
        (await state.GetAsync<Order>("order", cancellationToken))!;

    protected override ValueTask<string> ExecAsync(Order prep, ExecContext context, CancellationToken cancellationToken) =>
        _carrier.BookAsync(prep, context.IdempotencyKey);

    protected override async ValueTask<string?> PostAsync(IStateStore state, Order prep, string exec, PostContext context, CancellationToken cancellationToken)
    {
        await state.SetAsync("tracking", exec, cancellationToken: cancellationToken);
        await context.GlobalState.Scope("fulfilled").SetAsync(prep.Id, exec, cancellationToken: cancellationToken);
        return null;
    }
}
