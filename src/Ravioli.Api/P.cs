namespace Ravioli.Api; public static class Placeholder {}
