using System.CommandLine;
using System.Globalization;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Events;

/// <summary><c>rav events</c>: the audit trail of an app, a space or an org (or, with no target, all you may see).</summary>
internal sealed class EventsCommand : RavCommand
{
    private readonly Argument<string?> _app = new("APP_NAME") { Description = "App whose events to show (in the targeted space)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string?> _org = new("--org", "-o") { Description = "Org whose events to show (default: the targeted org)" };
    private readonly Option<string?> _space = new("--space", "-s") { Description = "Space whose events to show (default: the targeted space, unless --org is given)" };
    private readonly Option<string?> _type = new("--type", "-t") { Description = "Only events of this type, e.g. audit.space.create (comma-separate several)" };

    public EventsCommand(CliSession session)
        : base(session, "events", "Show audit events: who did what, when (of one app, with APP_NAME)")
    {
        Command.Arguments.Add(_app);
        Command.Options.Add(_org);
        Command.Options.Add(_space);
        Command.Options.Add(_type);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var orgName = parseResult.GetValue(_org);
        var spaceName = parseResult.GetValue(_space);
        var query = new List<string>();
        string scope;

        if (parseResult.GetValue(_app) is { } appName)
        {
            if (orgName is not null || spaceName is not null)
            {
                throw new CliException("Give either an app name (in the targeted space) or --org/--space, not both.");
            }

            var org = Session.RequireOrg();
            var space = Session.RequireSpace();
            var app = await Session.Resolve.AppAsync(space, appName, cancellationToken);
            query.Add($"target_guids={Resolver.Escape(app.Guid)}");
            scope = $"for app {app.Name} in org {org.Name} / space {space.Name}";
        }
        else if (orgName is not null || spaceName is not null)
        {
            var (orgGuid, resolvedOrg) = await Spaces.SpaceOrg.ResolveAsync(Session, orgName, cancellationToken);
            if (spaceName is not null)
            {
                var space = await Session.Resolve.SpaceAsync(orgGuid, resolvedOrg, spaceName, cancellationToken);
                query.Add($"space_guids={Resolver.Escape(space.Guid)}");
                scope = $"in org {resolvedOrg} / space {space.Name}";
            }
            else
            {
                query.Add($"organization_guids={Resolver.Escape(orgGuid)}");
                scope = $"in org {resolvedOrg}";
            }
        }
        else if (Session.Config is { Organization: { } org, Space: { } targetSpace })
        {
            query.Add($"space_guids={Resolver.Escape(targetSpace.Guid)}");
            scope = $"in org {org.Name} / space {targetSpace.Name}";
        }
        else if (Session.Config.Organization is { } targetOrg)
        {
            query.Add($"organization_guids={Resolver.Escape(targetOrg.Guid)}");
            scope = $"in org {targetOrg.Name}";
        }
        else
        {
            scope = "you can see";
        }

        if (parseResult.GetValue(_type) is { } type)
        {
            query.Add($"types={Resolver.Escape(type)}");
        }

        Ui.Say($"Getting events {scope} as {Session.UserName}...");
        Ui.Blank();
        var path = query.Count == 0 ? "/v3/audit_events" : $"/v3/audit_events?{string.Join('&', query)}";
        var events = await Api.ListAsync(path, cancellationToken);
        if (events.Resources.Count == 0)
        {
            Ui.Say("No events found.");
        }
        else
        {
            Ui.Table(
                ["time", "event", "actor", "target"],
                events.Resources.Select(Json.As<AuditEventResource>).Select(e => (IReadOnlyList<string>)
                [
                    e.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    e.Type,
                    e.Actor?.Name ?? e.Actor?.Guid ?? string.Empty,
                    string.Join(' ', new[] { e.Target?.Type, e.Target?.Name ?? e.Target?.Guid }.Where(s => !string.IsNullOrEmpty(s))),
                ]));
        }

        Ui.Result(Json.Array(events.Resources));
    }
}
