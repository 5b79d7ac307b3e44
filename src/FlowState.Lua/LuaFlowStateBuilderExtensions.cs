using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState.Lua;

/// <summary>Adds Lua scripting to the FlowState services.</summary>
public static class LuaFlowStateBuilderExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="LuaScriptHost"/> on the builder's store (a <see cref="StateStore"/>, or the
    /// <see cref="SharedStateStore"/> of <c>UseRedis</c>/<c>UseSharedPostgres</c>), with
    /// <see cref="LuaScriptOptions"/> from <paramref name="configure"/> and any other options configuration (named after
    /// the store's key). On a keyed store (<c>AddKeyedFlowState("orders", f =&gt; f.AddLuaScripting())</c>) the host is
    /// keyed alike: <c>[FromKeyedServices("orders")] LuaScriptHost</c>.
    /// </summary>
    public static FlowStateBuilder AddLuaScripting(this FlowStateBuilder builder, Action<LuaScriptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var key = builder.Key;
        var name = key ?? Options.DefaultName;
        var options = builder.Services.AddOptions<LuaScriptOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddKeyedSingleton(key, (provider, _) => new LuaScriptHost(
            provider.GetRequiredKeyedService<IStateStore>(key),
            Options.Create(provider.GetRequiredService<IOptionsMonitor<LuaScriptOptions>>().Get(name)),
            provider.GetService<ILogger<LuaScriptHost>>() ?? NullLogger<LuaScriptHost>.Instance));
        return builder;
    }
}
