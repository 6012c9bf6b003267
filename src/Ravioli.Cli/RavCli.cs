using System.CommandLine;
using System.CommandLine.Help;
using Ravioli.Cli.Commands;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Commands.Buildpacks;
using Ravioli.Cli.Commands.Domains;
using Ravioli.Cli.Commands.Droplets;
using Ravioli.Cli.Commands.Env;
using Ravioli.Cli.Commands.Events;
using Ravioli.Cli.Commands.Logs;
using Ravioli.Cli.Commands.Marketplace;
using Ravioli.Cli.Commands.Orgs;
using Ravioli.Cli.Commands.Platform;
using Ravioli.Cli.Commands.Push;
using Ravioli.Cli.Commands.Quotas;
using Ravioli.Cli.Commands.Roles;
using Ravioli.Cli.Commands.Routes;
using Ravioli.Cli.Commands.ServiceBindings;
using Ravioli.Cli.Commands.ServiceBrokers;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Commands.Session;
using Ravioli.Cli.Commands.Spaces;
using Ravioli.Cli.Commands.Tasks;
using Ravioli.Cli.Commands.Users;

namespace Ravioli.Cli;

/// <summary>The <c>rav</c> command line as a method, so tests can run it in-process with captured output.</summary>
public static class RavCli
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);

        using var session = new CliSession(env);
        var root = BuildRoot(session);

        // No response files: "@path" is how `rav curl -d @body.json` names a body file, as in curl.
        var parsing = new ParserConfiguration { ResponseFileTokenReplacer = null };
        var invocation = new InvocationConfiguration { Output = env.Out, Error = env.Err };
        return await root.Parse(args, parsing).InvokeAsync(invocation, cancellationToken);
    }

    private static Command BuildRoot(CliSession session)
    {
        RavCommand[] commands =
        [
            new ApiCommand(session),
            new LoginCommand(session),
            new LogoutCommand(session),
            new TargetCommand(session),
            new OrgsCommand(session),
            new OrgCommand(session),
            new CreateOrgCommand(session),
            new DeleteOrgCommand(session),
            new SpacesCommand(session),
            new CreateSpaceCommand(session),
            new DeleteSpaceCommand(session),
            new CreateUserCommand(session),
            new DeleteUserCommand(session),
            new SetOrgRoleCommand(session),
            new UnsetOrgRoleCommand(session),
            new SetSpaceRoleCommand(session),
            new UnsetSpaceRoleCommand(session),
            new OrgUsersCommand(session),
            new SpaceUsersCommand(session),
            new QuotasCommand(session),
            new CreateQuotaCommand(session),
            new UpdateQuotaCommand(session),
            new SetQuotaCommand(session),
            new AppsCommand(session),
            new AppCommand(session),
            new PushCommand(session),
            new StartCommand(session),
            new StopCommand(session),
            new RestartCommand(session),
            new RestageCommand(session),
            new DeleteAppCommand(session),
            new ScaleCommand(session),
            new EnvCommand(session),
            new SetEnvCommand(session),
            new UnsetEnvCommand(session),
            new LogsCommand(session),
            new EventsCommand(session),
            new DropletsCommand(session),
            new SetDropletCommand(session),
            new RunTaskCommand(session),
            new TasksCommand(session),
            new RoutesCommand(session),
            new CreateRouteCommand(session),
            new DeleteRouteCommand(session),
            new MapRouteCommand(session),
            new UnmapRouteCommand(session),
            new DomainsCommand(session),
            new CreateDomainCommand(session),
            new CreateSharedDomainCommand(session),
            new BuildpacksCommand(session),
            new CreateBuildpackCommand(session),
            new MarketplaceCommand(session),
            new ServicesCommand(session),
            new ServiceCommand(session),
            new CreateServiceCommand(session),
            new UpdateServiceCommand(session),
            new RenameServiceCommand(session),
            new DeleteServiceCommand(session),
            new CreateUserProvidedServiceCommand(session),
            new UpdateUserProvidedServiceCommand(session),
            new BindServiceCommand(session),
            new UnbindServiceCommand(session),
            new CreateServiceKeyCommand(session),
            new ServiceKeysCommand(session),
            new ServiceKeyCommand(session),
            new DeleteServiceKeyCommand(session),
            new ServiceBrokersCommand(session),
            new CreateServiceBrokerCommand(session),
            new UpdateServiceBrokerCommand(session),
            new RenameServiceBrokerCommand(session),
            new DeleteServiceBrokerCommand(session),
            new ServiceAccessCommand(session),
            new EnableServiceAccessCommand(session),
            new DisableServiceAccessCommand(session),
            new CurlCommand(session),
            new VersionCommand(session),
        ];

        // A plain Command rather than RootCommand: RootCommand names itself after the host process,
        // which is "dotnet" or "testhost" when rav runs in-process, and help must always say "rav".
        var root = new Command("rav", "rav: the command-line client of the Ravioli platform. Start with 'rav login -a URL -u USER'.")
        {
            Options = { new HelpOption { Recursive = true }, new VersionOption() },
        };
        foreach (var command in commands)
        {
            root.Subcommands.Add(command.Command);
        }

        return root;
    }
}
