# Local zones and wavelength zones need an opt-in and cannot host EKS control-plane interfaces or
# NAT gateways, so only the region's ordinary zones count.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  zones = slice(data.aws_availability_zones.available.names, 0, min(3, length(data.aws_availability_zones.available.names)))

  # The same layout as infra/sandbox: public subnets are the /24s number 1-3, private ones 11-13.
  newbits = 24 - tonumber(split("/", var.vpc_cidr)[1])

  cluster_tag = { "kubernetes.io/cluster/${var.cluster_name}" = "shared" }
}

resource "aws_vpc" "this" {
  cidr_block = var.vpc_cidr
  # EKS needs both for the private endpoint, and nodes register under their private DNS names.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.cluster_name }

  lifecycle {
    precondition {
      condition     = length(local.zones) >= 3
      error_message = "Region ${var.region} has fewer than three availability zones without opt-in; the cluster needs three."
    }
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = var.cluster_name }
}

# Public subnets hold the NAT gateway(s) and the internet-facing load balancers of LoadBalancer
# Services: the role tag is how the in-tree controller and the AWS Load Balancer Controller find them.
resource "aws_subnet" "public" {
  count = 3

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.zones[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, local.newbits, count.index + 1)
  map_public_ip_on_launch = true

  tags = merge(local.cluster_tag, {
    Name                     = "${var.cluster_name}-public-${local.zones[count.index]}"
    "kubernetes.io/role/elb" = "1"
  })
}

# Nodes live here, reachable only through the cluster and the load balancers.
resource "aws_subnet" "private" {
  count = 3

  vpc_id            = aws_vpc.this.id
  availability_zone = local.zones[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, local.newbits, count.index + 11)

  tags = merge(local.cluster_tag, {
    Name                              = "${var.cluster_name}-private-${local.zones[count.index]}"
    "kubernetes.io/role/internal-elb" = "1"
  })
}

# One NAT gateway is the default: a benchmark can live with a zone outage, and each extra one costs
# as much as its traffic. nat_gateway_ha gives every zone its own.
resource "aws_eip" "nat" {
  count = var.nat_gateway_ha ? 3 : 1

  domain = "vpc"

  tags = { Name = "${var.cluster_name}-nat-${local.zones[count.index]}" }

  # An Elastic IP can only be associated once the VPC has an internet gateway.
  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = var.nat_gateway_ha ? 3 : 1

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = { Name = "${var.cluster_name}-nat-${local.zones[count.index]}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.cluster_name}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = 3

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per zone whether or not the NAT gateways are: turning nat_gateway_ha on
# or off then only repoints routes instead of replacing tables under running nodes.
resource "aws_route_table" "private" {
  count = 3

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.cluster_name}-private-${local.zones[count.index]}" }
}

resource "aws_route" "private_nat" {
  count = 3

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.nat_gateway_ha ? count.index : 0].id
}

resource "aws_route_table_association" "private" {
  count = 3

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}
