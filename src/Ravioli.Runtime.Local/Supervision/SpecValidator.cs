using System.Globalization;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Supervision;

/// <summary>Rejects a desired set the executor could not run safely, naming the offending field.</summary>
internal static class SpecValidator
{
    public static void Validate(IReadOnlyList<InstanceSpec> desired)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < desired.Count; i++)
        {
            var spec = desired[i] ?? throw Invalid(i, "", "must not be null");

            // The guid names a directory, a cgroup and the hostname: nothing that could climb out of them.
            Require(LocalExecutorOptions.IsSafeName(spec.InstanceGuid), i, nameof(spec.InstanceGuid), "must be 1-64 letters, digits, '-', '_' or '.'");
            Require(seen.Add(spec.InstanceGuid), i, nameof(spec.InstanceGuid), $"'{spec.InstanceGuid}' appears twice");
            Require(!string.IsNullOrWhiteSpace(spec.AppGuid), i, nameof(spec.AppGuid), "must be set");
            Require(!string.IsNullOrWhiteSpace(spec.ProcessType), i, nameof(spec.ProcessType), "must be set");
            Require(spec.Index >= 0, i, nameof(spec.Index), "must not be negative");
            Require(!string.IsNullOrWhiteSpace(spec.DropletPath) && Path.IsPathRooted(spec.DropletPath), i, nameof(spec.DropletPath), "must be an absolute path");
            Require(spec.Command is not null && !spec.Command.Contains('\0', StringComparison.Ordinal), i, nameof(spec.Command), "must be a string without NUL");
            Require(spec.MemoryMb > 0, i, nameof(spec.MemoryMb), "must be positive");
            Require(spec.DiskMb > 0, i, nameof(spec.DiskMb), "must be positive");
            Require(spec.StartTimeout > TimeSpan.Zero, i, nameof(spec.StartTimeout), "must be positive");
            Require(spec.StopTimeout > TimeSpan.Zero, i, nameof(spec.StopTimeout), "must be positive");
            Require(spec.Environment is not null, i, nameof(spec.Environment), "must be set");
            foreach (var (key, value) in spec.Environment!)
            {
                // Portable names only: the unsandboxed fallback hands them to a shell.
                Require(IsVariableName(key), i, nameof(spec.Environment), $"key '{key}' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
                Require(value is not null && !value.Contains('\0', StringComparison.Ordinal), i, nameof(spec.Environment), $"value of '{key}' must be a string without NUL");
            }

            var health = spec.HealthCheck;
            Require(health is not null, i, nameof(spec.HealthCheck), "must be set");
            Require(HealthCheckTypes.All.Contains(health!.Type), i, "HealthCheck.Type", $"'{health.Type}' is not one of port, http, process");
            Require(health.Endpoint is null || (health.Endpoint.StartsWith('/') && !health.Endpoint.Any(char.IsWhiteSpace)), i, "HealthCheck.Endpoint", "must be a path starting with '/'");
            Require(health.InvocationTimeout > TimeSpan.Zero, i, "HealthCheck.InvocationTimeout", "must be positive");
        }
    }

    private static bool IsVariableName(string key) =>
        key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static void Require(bool condition, int index, string field, string message)
    {
        if (!condition)
        {
            throw Invalid(index, field, message);
        }
    }

    // The message names the field (desired[i].Field); the exception's ParamName would only say "desired".
    private static ArgumentException Invalid(int index, string field, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"desired[{index}]{(field.Length > 0 ? "." + field : "")} {message}."));
}
