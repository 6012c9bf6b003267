using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Domains;

/// <summary><c>rav create-shared-domain</c>: an admin adds a domain every org can use.</summary>
internal sealed class CreateSharedDomainCommand : RavCommand
{
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain name, e.g. apps.example.com" };

    public CreateSharedDomainCommand(CliSession session)
        : base(session, "create-shared-domain", "Create a domain every org can use (admin only)")
    {
        Command.Arguments.Add(_domain);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_domain);
        Ui.Say($"Creating shared domain {name} as {Session.UserName}...");
        try
        {
            var domain = await Api.PostAsync("/v3/domains", new JsonObject { ["name"] = name }, cancellationToken);
            Ui.Ok();
            Ui.Result(domain);
        }
        catch (ApiException e) when (e.SaysAlreadyExists)
        {
            var existing = await Session.Resolve.FindDomainAsync(name, cancellationToken);
            if (existing is null || !existing.IsShared)
            {
                throw;
            }

            Ui.Warn($"Domain {existing.Name} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
        }
    }
}
