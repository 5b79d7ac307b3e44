using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace FlowState.Inspector;

/// <summary>The page's files, embedded in the assembly: nothing to deploy beside it, nothing fetched from elsewhere.</summary>
internal static class InspectorAssets
{
    private static readonly ConcurrentDictionary<string, byte[]?> Files = new(StringComparer.Ordinal);

    public static IResult Serve(string name)
    {
        var contentType = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => null,
        };
        var bytes = contentType is null || name.Contains('/', StringComparison.Ordinal) ? null : Files.GetOrAdd(name, Load);
        return bytes is null ? Results.NotFound() : new AssetResult(bytes, contentType!);
    }

    private static byte[]? Load(string name)
    {
        using var stream = typeof(InspectorAssets).Assembly.GetManifestResourceStream("wwwroot/" + name);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class AssetResult(byte[] bytes, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var headers = httpContext.Response.Headers;
            // The page talks to its own origin only; it loads no script, style or font from anywhere else.
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-cache";
            httpContext.Response.ContentType = contentType;
            return httpContext.Response.Body.WriteAsync(bytes).AsTask();
        }
    }
}
