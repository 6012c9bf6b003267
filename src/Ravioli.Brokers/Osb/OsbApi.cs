using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.Hosting;

namespace Ravioli.Brokers.Osb;

/// <summary>The OSB 2.17 HTTP surface of every built-in broker, mounted at /brokers/{name}/v2/...</summary>
internal static class OsbApi
{
    // Relaxed escaping: answers are JSON for platforms, never embedded in HTML, and "'" reads better than \u0027.
    private static readonly JsonSerializerOptions Output = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The lowest OSB minor version (2.x) the brokers accept.</summary>
    public const int MinimumMinorVersion = 13;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        foreach (var name in BrokerNames.All)
        {
            var v2 = endpoints.MapGroup($"{BrokerNames.PathPrefix(name)}/v2");
            v2.AddEndpointFilter(new OsbFilter(name));
            // The brokers authenticate platforms themselves (basic auth in OsbFilter); a host's fallback policy must not apply.
            v2.AllowAnonymous();

            v2.MapGet("/catalog", (HttpContext ctx, CancellationToken _) => Run(ctx, name, (engine, _) => Task.FromResult(OsbResponse.Ok(engine.Catalog()))));

            v2.MapPut("/service_instances/{instanceId}", (HttpContext ctx, string instanceId) =>
                Run(ctx, name, async (engine, ct) => await engine.ProvisionAsync(instanceId, await ReadBodyAsync(ctx, ct), AcceptsIncomplete(ctx), ct)));
            v2.MapGet("/service_instances/{instanceId}", (HttpContext ctx, string instanceId) =>
                Run(ctx, name, (engine, ct) => engine.FetchInstanceAsync(instanceId, ct)));
            v2.MapPatch("/service_instances/{instanceId}", (HttpContext ctx, string instanceId) =>
                Run(ctx, name, async (engine, ct) => await engine.UpdateAsync(instanceId, await ReadBodyAsync(ctx, ct), AcceptsIncomplete(ctx), ct)));
            v2.MapDelete("/service_instances/{instanceId}", (HttpContext ctx, string instanceId) =>
                Run(ctx, name, (engine, ct) => engine.DeprovisionAsync(instanceId, Query(ctx, "service_id"), Query(ctx, "plan_id"), AcceptsIncomplete(ctx), ct)));
            v2.MapGet("/service_instances/{instanceId}/last_operation", (HttpContext ctx, string instanceId) =>
                Run(ctx, name, (engine, ct) => engine.LastOperationAsync(instanceId, Query(ctx, "operation"), ct)));

            v2.MapPut("/service_instances/{instanceId}/service_bindings/{bindingId}", (HttpContext ctx, string instanceId, string bindingId) =>
                Run(ctx, name, async (engine, ct) => await engine.BindAsync(instanceId, bindingId, await ReadBodyAsync(ctx, ct), ct)));
            v2.MapGet("/service_instances/{instanceId}/service_bindings/{bindingId}", (HttpContext ctx, string instanceId, string bindingId) =>
                Run(ctx, name, (engine, ct) => engine.FetchBindingAsync(instanceId, bindingId, ct)));
            v2.MapDelete("/service_instances/{instanceId}/service_bindings/{bindingId}", (HttpContext ctx, string instanceId, string bindingId) =>
                Run(ctx, name, (engine, ct) => engine.UnbindAsync(instanceId, bindingId, Query(ctx, "service_id"), Query(ctx, "plan_id"), ct)));
            v2.MapGet("/service_instances/{instanceId}/service_bindings/{bindingId}/last_operation", (HttpContext ctx, string instanceId, string bindingId) =>
                Run(ctx, name, (engine, ct) => engine.BindingLastOperationAsync(instanceId, bindingId, Query(ctx, "operation"), ct)));
        }
    }

    private static async Task<IResult> Run(HttpContext ctx, string name, Func<BrokerEngine, CancellationToken, Task<OsbResponse>> action)
    {
        var brokers = ctx.RequestServices.GetRequiredService<BuiltInBrokers>();
        if (!brokers.TryGetEngine(name, out var engine))
        {
            return new OsbResult(OsbResponse.NotFound($"broker '{name}' is not offered on this installation"));
        }
        try
        {
            var response = await action(engine, ctx.RequestAborted);
            return new OsbResult(response);
        }
        catch (OsbRequestException ex)
        {
            return new OsbResult(ex.Response);
        }
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext ctx, CancellationToken ct)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            throw new OsbRequestException(OsbResponse.BadRequest($"the request body is not valid JSON: {ex.Message}"));
        }
        return node as JsonObject ?? throw new OsbRequestException(OsbResponse.BadRequest("the request body must be a JSON object"));
    }

    private static string? Query(HttpContext ctx, string name) =>
        ctx.Request.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    private static bool AcceptsIncomplete(HttpContext ctx) =>
        string.Equals(Query(ctx, "accepts_incomplete"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes an <see cref="OsbResponse"/> as JSON, with Retry-After while an operation runs.</summary>
    private sealed class OsbResult(OsbResponse response) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = response.Status;
            if (response.RetryAfter is { } retry)
            {
                httpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }
            httpContext.Response.ContentType = "application/json";
            return httpContext.Response.WriteAsync(response.Body.ToJsonString(Output), httpContext.RequestAborted);
        }
    }

    /// <summary>
    /// Runs before every OSB endpoint: echoes the request identity, logs the call (identities only, never bodies),
    /// enforces HTTP basic auth (constant-time) and X-Broker-API-Version ≥ 2.13.
    /// </summary>
    private sealed class OsbFilter(string name) : IEndpointFilter
    {
        /// <summary>How long a request waits for the brokers to start: well under an OSB client's usual 60 s timeout.</summary>
        private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(30);

        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var ctx = context.HttpContext;
            var requestIdentity = Header(ctx, "X-Broker-API-Request-Identity");
            if (requestIdentity is not null)
            {
                ctx.Response.Headers["X-Broker-API-Request-Identity"] = requestIdentity;
            }
            var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Ravioli.Brokers.Osb");
            var path = ctx.Request.Path.Value ?? "";
            Log.Request(logger, name, ctx.Request.Method, path, Truncate(requestIdentity), Truncate(Header(ctx, "X-Broker-API-Originating-Identity")));

            var brokers = ctx.RequestServices.GetRequiredService<BuiltInBrokers>();
            if (!await brokers.WaitStartedAsync(StartWait, ctx.RequestAborted))
            {
                ctx.Response.Headers.RetryAfter = "5";
                return Reject(logger, ctx, OsbResponse.Error(503, "the built-in brokers are starting; try again shortly"));
            }
            if (brokers.FindBroker(name) is not { } broker)
            {
                return Reject(logger, ctx, OsbResponse.NotFound($"broker '{name}' is not offered on this installation"));
            }
            if (!Authorized(ctx, broker))
            {
                ctx.Response.Headers.WWWAuthenticate = $"Basic realm=\"ravioli-{name}-broker\"";
                return Reject(logger, ctx, OsbResponse.Error(401, "HTTP basic authentication with this broker's credentials is required"));
            }
            var version = Header(ctx, "X-Broker-API-Version");
            if (!SupportedVersion(version))
            {
                return Reject(logger, ctx, OsbResponse.Error(412,
                    version is null
                        ? "the X-Broker-API-Version header is required; this broker speaks OSB 2.13 to 2.17 (send 2.17)"
                        : $"OSB API version {version} is not supported; this broker speaks OSB 2.13 to 2.17 (send 2.17)"));
            }
            return await next(context);
        }

        private OsbResult Reject(ILogger logger, HttpContext ctx, OsbResponse response)
        {
            Log.Rejected(logger, name, ctx.Request.Method, ctx.Request.Path.Value ?? "", response.Status, response.Body["description"]?.GetValue<string>() ?? "");
            return new OsbResult(response);
        }

        private static bool SupportedVersion(string? version)
        {
            if (version is null)
            {
                return false;
            }
            var parts = version.Trim().Split('.');
            return parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                && major == 2 && minor >= MinimumMinorVersion;
        }

        private static bool Authorized(HttpContext ctx, BuiltInBroker broker)
        {
            var header = Header(ctx, "Authorization");
            if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                return false;
            }
            // Hash both sides first so the comparison takes the same time whatever the lengths.
            var given = SHA256.HashData(Encoding.UTF8.GetBytes(decoded));
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes($"{broker.Username}:{broker.Password}"));
            return CryptographicOperations.FixedTimeEquals(given, expected);
        }

        private static string? Header(HttpContext ctx, string name) =>
            ctx.Request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value.ToString() : null;

        private static string? Truncate(string? value) => value is { Length: > 200 } ? value[..200] : value;
    }
}
