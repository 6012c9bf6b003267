using System.CommandLine;

namespace Ravioli.Cli.Commands.Services;

/// <summary>The flags the service commands share, worded once.</summary>
internal static class ServiceOptions
{
    public static Option<string?> Parameters() => new("-c")
    {
        Description = "Parameters for the broker: a JSON object inline, e.g. '{\"size\":\"small\"}', or the path of a file holding one",
        HelpName = "JSON|FILE",
    };

    public static Option<string?> Tags() => new("-t")
    {
        Description = "Tags for apps to find the service by in VCAP_SERVICES, comma-separated, e.g. \"db, primary\"",
        HelpName = "TAGS",
    };

    public static Option<bool> Wait() => new("--wait", "-w")
    {
        Description = "Wait for the broker to finish (default: return once the operation has started)",
    };
}
