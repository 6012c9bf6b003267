using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ravioli.Testing;

/// <summary>A request the test broker received.</summary>
public sealed record BrokerRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, JsonObject? Body);

/// <summary>
/// A small Open Service Broker (OSB 2.17) for tests: a catalog of one offering ("testdb") with a synchronous plan
/// ("small"), an asynchronous one ("async") and one that gives up quickly ("slow", maximum_polling_duration 60 s);
/// it keeps instances and bindings in memory, records every request, and can be told to misbehave on the next call of
/// a kind ("provision", "bind", "deprovision", "unbind", "update", "last_operation") with <see cref="Script"/>.
/// </summary>
public sealed class TestBroker : IAsyncLifetime, IAsyncDisposable
{
    public const string Username = "broker-user";
    public const string Password = "broker-secret-password";
    public const string ServiceId = "svc-testdb";
    public const string SmallPlanId = "plan-small";
    public const string AsyncPlanId = "plan-async";
    public const string SlowPlanId = "plan-slow";

    private WebApplication? _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, Task>>> _scripts = new();

    public string Url { get; private set; } = "";
    public ConcurrentQueue<BrokerRequest> Requests { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Instances { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Bindings { get; } = new();

    /// <summary>How many last_operation polls answer "in progress" before "succeeded" (per operation).</summary>
    public int PollsBeforeDone { get; set; } = 1;

    /// <summary>Null = the built-in catalog.</summary>
    public JsonObject? Catalog { get; set; }

    private readonly ConcurrentDictionary<string, int> _polls = new();

    public static JsonObject DefaultCatalog(string serviceName = "testdb") => new()
    {
        ["services"] = new JsonArray(new JsonObject
        {
            ["id"] = ServiceId,
            ["name"] = serviceName,
            ["description"] = "A database for tests",
            ["bindable"] = true,
            ["instances_retrievable"] = true,
            ["bindings_retrievable"] = true,
            ["plan_updateable"] = true,
            ["tags"] = new JsonArray("sql", "test"),
            ["metadata"] = new JsonObject { ["displayName"] = "Test DB", ["documentationUrl"] = "https://example.com/testdb" },
            ["plans"] = new JsonArray(
                new JsonObject { ["id"] = SmallPlanId, ["name"] = "small", ["description"] = "Synchronous", ["free"] = true },
                new JsonObject { ["id"] = AsyncPlanId, ["name"] = "async", ["description"] = "Asynchronous", ["free"] = false },
                new JsonObject { ["id"] = SlowPlanId, ["name"] = "slow", ["description"] = "Never finishes", ["maximum_polling_duration"] = 60 }),
        }),
    };

    /// <summary>The next call of this kind is answered by <paramref name="handler"/> instead of the broker's logic.</summary>
    public void Script(string kind, Func<HttpContext, Task> handler) => _scripts.GetOrAdd(kind, _ => new()).Enqueue(handler);

    public void Script(string kind, int status, string body = "{}") => Script(kind, async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    });

    public IEnumerable<BrokerRequest> RequestsTo(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private static bool Authorized(HttpContext context)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        return context.Request.Headers.Authorization.ToString() == expected;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        JsonObject? body = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()) as JsonObject;
        }
        Requests.Enqueue(new BrokerRequest(request.Method, request.Path.Value ?? "",
            request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
        if (!Authorized(context))
        {
            await Reply(context, 401, new JsonObject { ["description"] = "bad credentials" });
            return;
        }
        var segments = (request.Path.Value ?? "").Trim('/').Split('/');
        var kind = (request.Method, segments) switch
        {
            ("GET", ["v2", "catalog"]) => "catalog",
            ("PUT", ["v2", "service_instances", _]) => "provision",
            ("PATCH", ["v2", "service_instances", _]) => "update",
            ("DELETE", ["v2", "service_instances", _]) => "deprovision",
            ("GET", ["v2", "service_instances", _]) => "fetch_instance",
            ("GET", ["v2", "service_instances", _, "last_operation"]) => "last_operation",
            ("PUT", ["v2", "service_instances", _, "service_bindings", _]) => "bind",
            ("DELETE", ["v2", "service_instances", _, "service_bindings", _]) => "unbind",
            ("GET", ["v2", "service_instances", _, "service_bindings", _]) => "fetch_binding",
            ("GET", ["v2", "service_instances", _, "service_bindings", _, "last_operation"]) => "binding_last_operation",
            _ => "unknown",
        };
        if (_scripts.TryGetValue(kind, out var queue) && queue.TryDequeue(out var scripted))
        {
            await scripted(context);
            return;
        }
        var accepts = request.Query["accepts_incomplete"] == "true";
        switch (kind)
        {
            case "catalog":
                await Reply(context, 200, (Catalog ?? DefaultCatalog()).DeepClone());
                return;
            case "provision":
            {
                var id = segments[2];
                var plan = body?["plan_id"]?.GetValue<string>() ?? "";
                if (Instances.TryGetValue(id, out var existing))
                {
                    await Reply(context, existing["plan_id"]?.GetValue<string>() == plan ? 200 : 409, new JsonObject());
                    return;
                }
                Instances[id] = new JsonObject { ["plan_id"] = plan, ["parameters"] = body?["parameters"]?.DeepClone() };
                if (plan != SmallPlanId)
                {
                    await Reply(context, accepts ? 202 : 422, accepts ? new JsonObject { ["operation"] = "provision-" + id } : new JsonObject { ["error"] = "AsyncRequired", ["description"] = "async only" });
                    return;
                }
                await Reply(context, 201, new JsonObject { ["dashboard_url"] = $"https://dashboard.example.com/{id}" });
                return;
            }
            case "update":
            {
                var id = segments[2];
                if (!Instances.TryGetValue(id, out var instance))
                {
                    await Reply(context, 400, new JsonObject { ["description"] = "no such instance" });
                    return;
                }
                if (body?["plan_id"] is { } newPlan)
                {
                    instance["plan_id"] = newPlan.GetValue<string>();
                }
                if (body?["parameters"] is { } parameters)
                {
                    instance["parameters"] = parameters.DeepClone();
                }
                await Reply(context, 200, new JsonObject());
                return;
            }
            case "deprovision":
            {
                var id = segments[2];
                if (!Instances.TryRemove(id, out var removed))
                {
                    await Reply(context, 410, new JsonObject());
                    return;
                }
                if (removed["plan_id"]?.GetValue<string>() == AsyncPlanId && accepts)
                {
                    await Reply(context, 202, new JsonObject { ["operation"] = "deprovision-" + id });
                    return;
                }
                await Reply(context, 200, new JsonObject());
                return;
            }
            case "fetch_instance":
            {
                if (!Instances.TryGetValue(segments[2], out var instance))
                {
                    await Reply(context, 404, new JsonObject());
                    return;
                }
                await Reply(context, 200, new JsonObject
                {
                    ["service_id"] = ServiceId,
                    ["plan_id"] = instance["plan_id"]?.DeepClone(),
                    ["parameters"] = instance["parameters"]?.DeepClone() ?? new JsonObject(),
                });
                return;
            }
            case "last_operation":
            case "binding_last_operation":
            {
                var operation = request.Query["operation"].ToString();
                if (operation.StartsWith("deprovision-", StringComparison.Ordinal) && _polls.GetValueOrDefault(operation) >= PollsBeforeDone)
                {
                    await Reply(context, 410, new JsonObject());
                    return;
                }
                var polls = _polls.AddOrUpdate(operation, 1, (_, n) => n + 1);
                var plan = kind == "last_operation" && Instances.TryGetValue(segments[2], out var i) ? i["plan_id"]?.GetValue<string>() : null;
                var done = plan != SlowPlanId && polls > PollsBeforeDone;
                context.Response.Headers.RetryAfter = "1";
                await Reply(context, 200, new JsonObject { ["state"] = done ? "succeeded" : "in progress", ["description"] = done ? "done" : $"working ({polls})" });
                return;
            }
            case "bind":
            {
                var id = segments[4];
                if (!Instances.TryGetValue(segments[2], out var instance))
                {
                    await Reply(context, 400, new JsonObject { ["description"] = "no such instance" });
                    return;
                }
                var credentials = new JsonObject
                {
                    ["uri"] = $"testdb://user-{id[..8]}:pw-{id}@127.0.0.1:5555/db",
                    ["username"] = $"user-{id[..8]}",
                    ["password"] = $"pw-{id}",
                };
                Bindings[id] = new JsonObject { ["credentials"] = credentials, ["app_guid"] = body?["bind_resource"]?["app_guid"]?.DeepClone(), ["parameters"] = body?["parameters"]?.DeepClone() };
                if (instance["plan_id"]?.GetValue<string>() == AsyncPlanId && accepts)
                {
                    await Reply(context, 202, new JsonObject { ["operation"] = "bind-" + id });
                    return;
                }
                await Reply(context, 201, new JsonObject { ["credentials"] = credentials.DeepClone() });
                return;
            }
            case "fetch_binding":
            {
                if (!Bindings.TryGetValue(segments[4], out var binding))
                {
                    await Reply(context, 404, new JsonObject());
                    return;
                }
                await Reply(context, 200, new JsonObject { ["credentials"] = binding["credentials"]!.DeepClone() });
                return;
            }
            case "unbind":
                await Reply(context, Bindings.TryRemove(segments[4], out _) ? 200 : 410, new JsonObject());
                return;
            default:
                await Reply(context, 404, new JsonObject { ["description"] = "unknown endpoint" });
                return;
        }
    }

    private static async Task Reply(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>A broker that never answers within the client's timeout.</summary>
    public static Func<HttpContext, Task> Hang(TimeSpan time) => async context =>
    {
        await Task.Delay(time, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        context.Response.StatusCode = (int)HttpStatusCode.OK;
    };
}
