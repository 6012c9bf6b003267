using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Domains;

/// <summary><c>rav create-domain</c>: an org manager adds a private domain that only the org's spaces can use.</summary>
internal sealed class CreateDomainCommand : RavCommand
{
    private readonly Argument<string> _org = new("ORG") { Description = "Org that owns the domain" };
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain name, e.g. apps.example.com" };

    public CreateDomainCommand(CliSession session)
        : base(session, "create-domain", "Create a private domain for an org (org manager)")
    {
        Command.Arguments.Add(_org);
        Command.Arguments.Add(_domain);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_domain);
        var org = await Session.Resolve.OrgAsync(parseResult.GetRequiredValue(_org), cancellationToken);
        Ui.Say($"Creating private domain {name} for org {org.Name} as {Session.UserName}...");
        var body = new JsonObject
        {
            ["name"] = name,
            ["relationships"] = new JsonObject { ["organization"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = org.Guid } } },
        };
        try
        {
            var domain = await Api.PostAsync("/v3/domains", body, cancellationToken);
            Ui.Ok();
            Ui.Blank();
            Ui.Say($"TIP: Domain {name} is a private domain. Run 'rav map-route APP {name} --hostname HOST' to use it.");
            Ui.Result(domain);
        }
        catch (ApiException e) when (e.SaysAlreadyExists)
        {
            // Already there for this org is what was asked for; anyone else's domain of that name is a real conflict.
            var existing = await Session.Resolve.FindDomainAsync(name, cancellationToken);
            if (existing?.Relationships?.Organization?.Data?.Guid != org.Guid)
            {
                throw;
            }

            Ui.Warn($"Domain {existing.Name} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
        }
    }
}
