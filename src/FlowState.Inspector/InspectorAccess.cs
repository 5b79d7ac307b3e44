using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>
/// The token check. The token travels in a header only, never a cookie, so a page of another site cannot make a
/// browser send it; and the API sends no CORS headers, so such a page cannot read answers either.
/// </summary>
internal sealed class InspectorAccess(FlowStateInspectorOptions options)
{
    public const string TokenHeader = "X-FlowState-Token";

    private readonly byte[]? _token = options.AccessToken is { } token ? Encoding.UTF8.GetBytes(token) : null;

    public bool AllowWrites => options.AllowWrites;

    public bool RequiresToken => _token is not null;

    /// <summary>Null when the request may go on, else the error to answer with.</summary>
    public IResult? Check(HttpContext context, bool writes)
    {
        if (writes && !options.AllowWrites)
        {
            return InspectorErrors.Forbidden("writes_off", "This inspector is read-only; start it with writes allowed (flowstate serve --allow-writes, or FlowStateInspectorOptions.AllowWrites).");
        }

        if (_token is null)
        {
            return null;
        }

        var presented = Presented(context.Request);
        if (presented is null)
        {
            return InspectorErrors.Unauthorized($"This inspector needs its access token: send it as 'Authorization: Bearer <token>' or '{TokenHeader}: <token>' (flowstate serve prints it, in the page's address too).");
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token)
            ? null
            : InspectorErrors.Unauthorized("The access token is wrong; use the one flowstate serve printed when it started.");
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue(TokenHeader, out var header) && header.Count == 1 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0];
        }

        var authorization = request.Headers.Authorization;
        return authorization.Count == 1 && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? value["Bearer ".Length..].Trim()
            : null;
    }
}
