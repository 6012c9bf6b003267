using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Quotas;

/// <summary>The limit flags shared by <c>create-quota</c> and <c>update-quota</c>, and the API body they make.</summary>
internal sealed class QuotaLimitOptions
{
    private readonly Option<string?> _totalMemory = new("--total-memory", "-m") { Description = "Memory all apps may use together, e.g. 2G, 512M, 1024 (MB), or 'unlimited'" };
    private readonly Option<string?> _instanceMemory = new("--instance-memory", "-i") { Description = "Memory one app instance may use, e.g. 1G, or 'unlimited'" };
    private readonly Option<string?> _apps = new("--apps", "-a") { Description = "Number of apps, or 'unlimited'" };
    private readonly Option<string?> _instances = new("--instances") { Description = "Number of app instances, or 'unlimited'" };
    private readonly Option<string?> _routes = new("--routes", "-r") { Description = "Number of routes, or 'unlimited'" };
    private readonly Option<string?> _serviceInstances = new("--service-instances", "-s") { Description = "Number of service instances, or 'unlimited'" };

    public void AddTo(Command command)
    {
        command.Options.Add(_totalMemory);
        command.Options.Add(_instanceMemory);
        command.Options.Add(_apps);
        command.Options.Add(_instances);
        command.Options.Add(_routes);
        command.Options.Add(_serviceInstances);
    }

    /// <summary>
    /// Adds the given limits to <paramref name="body"/> in the API's nested shape. Limits not given are
    /// left out (so a PATCH keeps them); "unlimited" becomes an explicit null.
    /// </summary>
    public void WriteTo(JsonObject body, ParseResult parseResult)
    {
        Set(body, "apps", "total_memory_in_mb", parseResult.GetValue(_totalMemory), v => Limits.ParseMemory(v, "--total-memory"));
        Set(body, "apps", "per_process_memory_in_mb", parseResult.GetValue(_instanceMemory), v => Limits.ParseMemory(v, "--instance-memory"));
        Set(body, "apps", "total_instances", parseResult.GetValue(_instances), v => Limits.ParseCount(v, "--instances"));
        Set(body, "apps", "total_apps", parseResult.GetValue(_apps), v => Limits.ParseCount(v, "--apps"));
        Set(body, "services", "total_service_instances", parseResult.GetValue(_serviceInstances), v => Limits.ParseCount(v, "--service-instances"));
        Set(body, "routes", "total_routes", parseResult.GetValue(_routes), v => Limits.ParseCount(v, "--routes"));
    }

    private static void Set(JsonObject body, string group, string field, string? text, Func<string, long?> parse)
    {
        if (text is null)
        {
            return;
        }

        if (body[group] is not JsonObject section)
        {
            body[group] = section = [];
        }

        var value = parse(text);
        section[field] = value is null ? null : JsonValue.Create(value.Value);
    }
}
