resource "aws_ecr_repository" "this" {
  count = var.create_ecr_repository ? 1 : 0

  name                 = var.ecr_repository_name
  image_tag_mutability = "MUTABLE"
  # bench deletes the run's images before `tofu destroy` (BatchDeleteImage); this is the backstop
  # for a crashed or interrupted run, where AWS would otherwise refuse to delete a repository that
  # still holds images and leave destroy failing until someone empties it by hand.
  force_delete = true

  image_scanning_configuration {
    scan_on_push = true
  }
}

# A repository reused over many applies of the same run still holds only the images that matter.
resource "aws_ecr_lifecycle_policy" "this" {
  count = var.create_ecr_repository ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 10 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 10
      }
      action = { type = "expire" }
    }]
  })
}
