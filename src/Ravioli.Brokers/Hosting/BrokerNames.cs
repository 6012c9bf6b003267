namespace Ravioli.Brokers.Hosting;

internal static class BrokerNames
{
    public const string PostgreSql = "postgresql";
    public const string Redis = "redis";
    public const string MariaDb = "mariadb";
    public const string RabbitMq = "rabbitmq";

    public static readonly IReadOnlyList<string> All = [PostgreSql, Redis, MariaDb, RabbitMq];

    public static string PathPrefix(string name) => $"/brokers/{name}";
}
