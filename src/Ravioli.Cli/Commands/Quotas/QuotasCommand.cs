using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Quotas;

/// <summary><c>rav quotas</c>: the org quotas with their limits.</summary>
internal sealed class QuotasCommand : RavCommand
{
    public QuotasCommand(CliSession session)
        : base(session, "quotas", "List org quotas")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        Ui.Say($"Getting org quotas as {Session.UserName}...");
        Ui.Blank();
        var quotas = await Api.ListAsync("/v3/organization_quotas?order_by=name", cancellationToken);
        if (quotas.Resources.Count == 0)
        {
            Ui.Say("No quotas found.");
        }
        else
        {
            Ui.Table(
                ["name", "total memory", "instance memory", "routes", "service instances", "app instances", "apps"],
                quotas.Resources.Select(Json.As<QuotaResource>).Select(q => (IReadOnlyList<string>)
                [
                    q.Name,
                    Limits.FormatMemory(q.Apps?.TotalMemoryInMb),
                    Limits.FormatMemory(q.Apps?.PerProcessMemoryInMb),
                    Limits.FormatCount(q.Routes?.TotalRoutes),
                    Limits.FormatCount(q.Services?.TotalServiceInstances),
                    Limits.FormatCount(q.Apps?.TotalInstances),
                    Limits.FormatCount(q.Apps?.TotalApps),
                ]));
        }

        Ui.Result(Json.Array(quotas.Resources));
    }
}
