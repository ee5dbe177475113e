module github.com/segmentd/segmentd

go 1.26.8
