using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>Query parameters read by hand, so that a bad one gets a JSON error naming it rather than a bare 400.</summary>
internal static class InspectorQuery
{
    public static bool TryLong(HttpRequest request, string name, out long? value, out IResult? error)
    {
        value = null;
        error = null;
        if (request.Query[name] is not [{ } text])
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = InspectorErrors.BadRequest("bad_parameter", $"'{name}' must be a whole number, not '{text}'.");
        return false;
    }

    public static bool TryTime(HttpRequest request, string name, out DateTimeOffset? value, out IResult? error)
    {
        value = null;
        error = null;
        if (request.Query[name] is not [{ } text])
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = InspectorErrors.BadRequest("bad_parameter", $"'{name}' must be a time such as 2026-12-05T10:00:00Z, not '{text}'.");
        return false;
    }

    public static bool TryPaging(HttpRequest request, FlowStateInspectorOptions options, out InspectorPaging paging, out IResult? error)
    {
        paging = default;
        if (!TryLong(request, "offset", out var offset, out error) || !TryLong(request, "limit", out var limit, out error))
        {
            return false;
        }

        return InspectorPaging.TryParse(
            offset is { } o ? (int)Math.Clamp(o, int.MinValue, int.MaxValue) : null,
            limit is { } l ? (int)Math.Clamp(l, int.MinValue, int.MaxValue) : null,
            options,
            out paging,
            out error);
    }

    public static bool TryScope(HttpRequest request, string name, out StateScope scope, out IResult? error) =>
        TryScope(name, request.Query[name] is [{ } path] ? path : null, request.Query[name + "Key"] is [{ } storageKey] ? storageKey : null, out scope, out error);

    /// <summary>
    /// A scope given as its storage key (<c>{name}Key</c>, which names every scope exactly, runtime scopes and names
    /// with ':' included; the page uses it) or as the store prints it (<c>{name}</c>); neither means global.
    /// </summary>
    public static bool TryScope(string name, string? path, string? storageKey, out StateScope scope, out IResult? error)
    {
        scope = StateScope.Global;
        error = null;
        if (!string.IsNullOrEmpty(storageKey))
        {
            try
            {
                scope = StateScope.FromStorageKey(storageKey);
                return true;
            }
            catch (FormatException ex)
            {
                error = InspectorErrors.BadRequest("bad_scope", $"'{name}Key' is not a scope's storage key: {ex.Message}");
                return false;
            }
        }

        if (string.IsNullOrEmpty(path) || path == StateScope.Global.ToString())
        {
            return true;
        }

        try
        {
            scope = StateScope.Parse(path);
            return true;
        }
        catch (FormatException ex)
        {
            error = InspectorErrors.BadRequest("bad_scope", $"'{name}' is not a scope: {ex.Message}");
            return false;
        }
    }
}
